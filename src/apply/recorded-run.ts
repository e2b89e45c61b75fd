/**
 * The one shape of every command that changes a database's history (apply, rollback,
 * resolve, adopt), so that none can forget a step:
 *
 *   1. take the runner lock;
 *   2. read the history;
 *   3. let the command decide, from the history, what it will do: its checks refuse here,
 *      before anything is written;
 *   4. announce the run in the audit log, durably, or stop here (nothing written yet);
 *   5. create migseal's tables if they are missing, close runs a dead runner left open, and
 *      record the run as started, with the hash of its audit record;
 *   6. do the command's own steps;
 *   7. record the run as finished: succeeded, or failed with the message the operator sees,
 *      with the live schema's fingerprint as the run left it (what the next run checks for drift);
 *   8. release the lock, whatever happened.
 */
import { randomUUID } from 'node:crypto';
import { withDefaultWaits, type Driver, type LockOwner, type WaitLimits } from '../db/driver.js';
import { asMigsealError, type MigsealError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { ensureHistorySchema } from './history-schema.js';
import { closeInterruptedRuns, recordBackup, type RecordedBackup, finishRun, readHistory, recordFingerprint, startRun, type History, type RunRecord } from './history.js';
import { readSchemaFingerprint } from '../fingerprint/index.js';
import { runnerIdentity, type RunnerIdentity } from './runner-identity.js';
import { gaveUpOnLock } from './lock-holders.js';

/** What the run's row says about why it happened (the rest is filled in by the skeleton). */
/** What a run's backup was: recorded with the run (migseal_backups) and in its started audit record. */
export type RunBackup = Omit<RecordedBackup, 'runId'>;

export type RunStart = Pick<RunRecord, 'command' | 'bundleDigest' | 'project' | 'release' | 'signers' | 'environment' | 'reason'>;

/** What a command's steps are given. */
export interface RecordedRun {
  driver: Driver;
  runId: string;
  identity: RunnerIdentity;
  history: History;
}

export type RunDecision<T> =
  /** Nothing to change: the lock is released and the report returned, and no run is recorded. */
  | { nothingToDo: T }
  | {
      start: RunStart;
      steps: (run: RecordedRun) => Promise<T>;
      /** Turns a failure of the steps into the error the operator sees (and the run's row records). */
      failure?: (error: unknown) => MigsealError;
      /** Start, steps and finish commit as one transaction: a run that fails leaves no trace in the history. */
      atomic?: boolean;
    };

export interface RecordedRunOptions {
  lockTimeoutMs?: number;
  /** Who holds the runner lock, for a runner that waits for it (the command sets it). */
  lockOwner?: LockOwner;
  /** PostgreSQL's lock_timeout and statement_timeout for every statement of the run (default: LIMITS.pgLockTimeoutMs, pgStatementTimeoutMs). */
  waitLimits?: Partial<WaitLimits>;
  identity?: RunnerIdentity;
  /**
   * Records, durably, that the run is about to start (T5.17): called after every check has
   * passed and before anything is written, it returns the hash of the "started" audit record,
   * which the run's row keeps (T5.18). If it throws, nothing is written.
   */
  announce?: (run: { runId: string; command: RunRecord['command']; database: string; backup?: RunBackup }) => string | undefined;
  /**
   * Takes a backup of the database after every check has passed and before anything is
   * written or announced; it goes into the started record and the run's history. If it
   * throws, nothing is written.
   */
  backup?: (run: { runId: string }) => Promise<RunBackup>;
}

/** A command running a verified bundle, as it names itself while it holds the runner lock: "apply", "shop 1.4.0". */
export function releaseOwner(command: string, verified: { manifest: { project: string; release: string } }): LockOwner {
  return { command, release: `${verified.manifest.project} ${verified.manifest.release}` };
}

export async function withRecordedRun<T>(
  driver: Driver,
  options: RecordedRunOptions,
  decide: (history: History, identity: RunnerIdentity) => RunDecision<T> | Promise<RunDecision<T>>,
): Promise<T> {
  const identity = options.identity ?? runnerIdentity();
  await driver.lock(options.lockTimeoutMs ?? LIMITS.lockTimeoutMs, options.lockOwner);
  const waits = withDefaultWaits(options.waitLimits);
  const { statementTimeoutMs } = waits;
  await driver.limitWaits?.(waits);
  try {
    const history = await readHistory(driver);
    const decision = await decide(history, identity);
    if ('nothingToDo' in decision) return decision.nothingToDo;

    const run: RecordedRun = { driver, runId: randomUUID(), identity, history };
    const backup = options.backup ? { runId: run.runId, ...(await options.backup({ runId: run.runId })) } : undefined;
    const auditHash = options.announce?.({ runId: run.runId, command: decision.start.command, database: driver.target, ...(backup && { backup }) }) ?? null;
    await ensureHistorySchema(driver);
    const record: RunRecord = {
      ...decision.start,
      runId: run.runId,
      host: identity.host,
      osUser: identity.osUser,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      outcome: 'running',
      error: null,
      auditHash,
    };
    if (decision.atomic) {
      return await driver.transaction(async () => {
        await closeInterruptedRuns(driver, run.runId);
        await startRun(driver, record);
        if (backup) await recordBackup(driver, backup);
        const result = await decision.steps(run);
        await recordFingerprint(driver, run.runId, await readSchemaFingerprint(driver));
        await finishRun(driver, run.runId, 'succeeded', null);
        return result;
      });
    }
    // Each history write commits with its chain entry.
    await driver.transaction(async () => {
      await closeInterruptedRuns(driver, run.runId);
      await startRun(driver, record);
      if (backup) await recordBackup(driver, backup);
    });
    let result: T;
    try {
      result = await decision.steps(run);
    } catch (error) {
      const failure = decision.failure ? decision.failure(error) : asMigsealError(error, 'DATABASE_ERROR', String((error as Error)?.message ?? error));
      // What the failed run left is the schema the next run starts from: recorded when it can be read. After a lock
      // timeout the read (a view on the locked table) would wait for the same session again: it may wait only briefly.
      if (gaveUpOnLock(error)) await driver.limitWaits?.({ lockTimeoutMs: LIMITS.pgLockTimeoutAfterLockFailureMs, statementTimeoutMs }).catch(() => undefined);
      const left = await readSchemaFingerprint(driver).catch(() => undefined);
      await driver
        .transaction(async () => {
          if (left) await recordFingerprint(driver, run.runId, left);
          await finishRun(driver, run.runId, 'failed', failure.message);
        })
        .catch(() => undefined);
      throw failure;
    }
    // The steps ran: a failure to record that is a failure while running (exit 3), not before.
    await driver
      .transaction(async () => {
        await recordFingerprint(driver, run.runId, await readSchemaFingerprint(driver));
        await finishRun(driver, run.runId, 'succeeded', null);
      })
      .catch((error: unknown) => {
        throw asMigsealError(error, 'DATABASE_ERROR', `${driver.target} failed while recording the finished run: ${String((error as Error)?.message ?? error).replace(/\.$/, '')}.`);
      });
    return result;
  } finally {
    await driver.unlock();
  }
}
