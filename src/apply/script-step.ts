/**
 * One script and the history writes that record it, for apply and rollback alike. In a
 * transaction, the script and its record commit together or not at all; before the record
 * is written, the server is asked whether the transaction is still the runner's (T5.8): a
 * script that ended it has committed part of its work, so the migration is marked dirty and
 * the run stops. Outside a transaction, a dirty mark is committed first and replaced by the
 * record only after the script succeeded, so a failure or a crash half-way leaves a mark
 * that blocks the next run until an operator resolves it. A driver that can (PostgreSQL) holds
 * a script in a transaction to send it with BEGIN, its check, its record and COMMIT in one
 * message; it then measures the script's duration itself, and reports the script's failure
 * as exec would have, so the outcome is the same.
 */
import { HeldScriptFailed, TransactionEnded, type Driver } from '../db/driver.js';
import { MigsealError } from '../errors.js';
import type { ExecutionMode } from './execution-mode.js';
import type { PlannedMigration } from './plan.js';

export interface ScriptStep {
  driver: Driver;
  planned: PlannedMigration;
  /** The verified text to run (the up or the down script). */
  sql: string;
  mode: ExecutionMode;
  /**
   * What must be written just before the script, seen by it: another tool's history row that
   * tool writes before it runs a migration. In a transaction it runs in the script's own
   * transaction; outside one, it commits with the first dirty mark.
   */
  beforeScript?(): Promise<void>;
  /** Records the migration as dirty with a note: before an outside run, and again when it fails. */
  markDirty(note: string): Promise<void>;
  /**
   * Records the step as done. In a transaction this runs inside the script's own
   * transaction, after the script: every statement that must commit with the migration
   * (migseal's history row, the release marker, another tool's history row) goes here.
   */
  recordDone(durationMs: number): Promise<void>;
}

/** Thrown when the migration's own SQL failed, or ended the runner's transaction (as opposed to the bookkeeping around it). */
export class ScriptFailure extends Error {
  constructor(
    readonly planned: PlannedMigration,
    readonly mode: ExecutionMode,
    cause: unknown,
    /** The script ended the runner's transaction itself: part of its work is committed. */
    readonly partlyCommitted = false,
    /** Indexes the failed script left INVALID (PostgreSQL), to drop before resolving. */
    public invalidIndexes: ReadonlyArray<{ name: string; drop: string }> = [],
  ) {
    super((cause as Error)?.message ?? String(cause), { cause });
  }
}

const ENDED_NOTE = "the script ended migseal's transaction itself, so part of its work was committed";

/** Runs the step and returns how long its script took, in milliseconds. */
export async function runScriptStep(step: ScriptStep): Promise<number> {
  const { driver } = step;
  if (step.mode === 'transaction') {
    try {
      let held: number | undefined;
      const took = await driver.transaction(async () => {
        await step.beforeScript?.();
        const started = process.hrtime.bigint();
        // Held: it runs when the transaction commits, and `took` stands for the duration the server measures.
        held = driver.holdScript?.(step.sql);
        if (held === undefined) await execScript(step);
        const took = held ?? msSince(started);
        await driver.checkTransactionOpen();
        // Statements that must commit with the migration go in recordDone.
        await step.recordDone(took);
        return took;
      });
      return held === undefined ? took : driver.heldScriptMs!();
    } catch (caught) {
      const error = caught instanceof HeldScriptFailed ? asScriptFailure(step, caught.cause) : caught;
      const ended = error instanceof TransactionEnded ? error : error instanceof ScriptFailure && error.cause instanceof TransactionEnded ? error.cause : undefined;
      if (!ended) throw error;
      const failed = ended.cause === undefined ? '' : `, then failed: ${(ended.cause as Error)?.message ?? String(ended.cause)}`;
      await driver.transaction(() => step.markDirty(`${ENDED_NOTE}${failed}`.slice(0, 2000))).catch(() => undefined);
      throw new ScriptFailure(step.planned, step.mode, ended.cause ?? ended, true);
    }
  }

  await driver.transaction(async () => {
    await step.markDirty(`started outside a transaction at ${new Date().toISOString()}`);
    await step.beforeScript?.();
  });
  const started = process.hrtime.bigint();
  try {
    await execScript(step);
  } catch (error) {
    await driver.transaction(() => step.markDirty(`failed outside a transaction: ${(error as Error).message}`.slice(0, 2000))).catch(() => undefined);
    throw error;
  }
  const took = msSince(started);
  await driver.transaction(() => step.recordDone(took));
  return took;
}

async function execScript(step: ScriptStep): Promise<void> {
  try {
    await step.driver.exec(step.sql);
  } catch (error) {
    throw asScriptFailure(step, error);
  }
}

/** Whole milliseconds since `started` (process.hrtime.bigint()): the clock node:perf_hooks reads, without loading that module on every run. */
function msSince(started: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - started) / 1e6);
}

/** What running the script threw, as the step's failure (a lost connection stays what it is). */
function asScriptFailure({ planned, mode }: ScriptStep, error: unknown): unknown {
  if (error instanceof MigsealError && error.code === 'DATABASE_ERROR') return error;
  return new ScriptFailure(planned, mode, error);
}
