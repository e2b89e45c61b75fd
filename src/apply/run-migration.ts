/**
 * Runs one migration and records it. In a transaction, the script, its history row and the
 * release marker commit together or not at all. Outside one, a dirty row is committed
 * first and cleared only after the script succeeded, so a failure or a crash half-way leaves
 * a mark that blocks the next run until an operator resolves it.
 */
import { performance } from 'node:perf_hooks';
import type { Driver } from '../db/driver.js';
import { MigsealError } from '../errors.js';
import { executionMode, type ExecutionMode } from './execution-mode.js';
import { setMigrationState, writeMarker, writeMigration, type AppliedMigration, type ReleaseMarker } from './history.js';
import type { PlannedMigration } from './plan.js';

export interface MigrationRun {
  driver: Driver;
  runId: string;
  release: string;
  bundleDigest: string;
  appliedBy: string;
  /** Written with the first migration that commits (then cleared): the release is on record from its first change. */
  marker: ReleaseMarker | undefined;
}

export interface MigrationResult {
  version: string;
  name: string;
  mode: ExecutionMode;
  durationMs: number;
}

/** Thrown when the migration's own SQL failed (as opposed to the bookkeeping around it). */
export class ScriptFailure extends Error {
  constructor(
    readonly planned: PlannedMigration,
    readonly mode: ExecutionMode,
    cause: unknown,
  ) {
    super((cause as Error)?.message ?? String(cause), { cause });
  }
}

export async function runMigration(run: MigrationRun, planned: PlannedMigration): Promise<MigrationResult> {
  const mode = executionMode(planned.migration, planned.sql);
  const row = (state: AppliedMigration['state'], durationMs: number, note: string | null): AppliedMigration => ({
    key: planned.key,
    version: planned.migration.version,
    name: planned.migration.name,
    kind: planned.migration.repeatable ? 'repeatable' : 'versioned',
    checksum: planned.checksum,
    release: run.release,
    bundleDigest: run.bundleDigest,
    appliedAt: new Date().toISOString(),
    appliedBy: run.appliedBy,
    durationMs,
    state,
    runId: run.runId,
    note,
  });
  const { driver } = run;
  let recorded = planned.recorded;
  const bookkeeping = async (state: AppliedMigration['state'], durationMs: number, note: string | null): Promise<void> => {
    await writeMigration(driver, row(state, durationMs, note), recorded);
    if (run.marker) await writeMarker(driver, run.marker);
  };

  if (mode === 'transaction') {
    const durationMs = await driver.transaction(async () => {
      const started = performance.now();
      await execScript(driver, planned, mode);
      const took = Math.round(performance.now() - started);
      await bookkeeping('applied', took, null);
      return took;
    });
    run.marker = undefined;
    return { version: planned.migration.version, name: planned.migration.name, mode, durationMs };
  }

  await driver.transaction(() => bookkeeping('dirty', 0, `started outside a transaction at ${new Date().toISOString()}`));
  run.marker = undefined;
  recorded = true;
  const started = performance.now();
  try {
    await execScript(driver, planned, mode);
  } catch (error) {
    const note = `failed outside a transaction: ${(error as Error).message}`.slice(0, 2000);
    await setMigrationState(driver, planned.key, 'dirty', run.runId, note).catch(() => undefined);
    throw error;
  }
  const durationMs = Math.round(performance.now() - started);
  await driver.transaction(() => bookkeeping('applied', durationMs, null));
  return { version: planned.migration.version, name: planned.migration.name, mode, durationMs };
}

async function execScript(driver: Driver, planned: PlannedMigration, mode: ExecutionMode): Promise<void> {
  try {
    await driver.exec(planned.sql);
  } catch (error) {
    if (error instanceof MigsealError && error.code === 'DATABASE_ERROR') throw error;
    throw new ScriptFailure(planned, mode, error);
  }
}
