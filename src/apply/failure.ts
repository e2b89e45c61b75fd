/** Turns a failure in the middle of a run into the coded error the operator sees (exit 3). */
import { MigsealError } from '../errors.js';
import { TransactionEnded } from '../db/driver.js';
import { ScriptFailure } from './script-step.js';
import { serverErrorContext } from './server-error.js';
import { lockHolderContext, lockHoldersOf } from './lock-holders.js';

/** `peerTable`: a custom-named peer table the run keeps, which resolve settles only when given the bundle. */
export function describeFailure(error: unknown, completed: string[], target: string, verb: 'applied' | 'rolled back', peerTable?: string): MigsealError {
  const resolveWith = (version: string) => `migseal resolve --version ${version}${peerTable ? ` (with --bundle BUNDLE --trust FILE, so that ${peerTable} is settled too)` : ''}`;
  const done =
    completed.length === 0 ? `No migration was ${verb}` : completed.length === 1 ? `Migration ${completed[0]} was ${verb} and recorded` : `Migrations ${completed.join(', ')} were ${verb} and recorded`;
  if (error instanceof ScriptFailure && error.partlyCommitted) {
    // Never "rolled back": the script committed part of its work itself (T5.8).
    const m = error.planned.migration;
    const cause = error.cause instanceof TransactionEnded ? undefined : error.cause;
    const failed = cause === undefined ? '' : ` and then failed: ${String((cause as Error)?.message ?? cause).replace(/\.$/, '')}`;
    return new MigsealError(
      'MIGRATION_PARTLY_COMMITTED',
      `Migration ${m.version} (${m.name}) ended migseal's transaction itself (a COMMIT, END, ROLLBACK or the like)${failed}, so part of its work was committed without its history row. ${done}; ${target} is marked dirty until ${resolveWith(m.version)}.`,
      { cause, details: { completed, failed: m.version, dirty: true, partlyCommitted: true } },
    );
  }
  if (error instanceof ScriptFailure) {
    const m = error.planned.migration;
    const state =
      error.mode === 'transaction'
        ? 'its changes were rolled back'
        : `it ran outside migseal's transaction, so what it did before failing may be committed, and ${target} is marked dirty until ${resolveWith(m.version)}`;
    const said = `${error.message.replace(/\.$/, '')}${serverErrorContext(error.cause, error.planned.sql)}${lockHolderContext(error.cause)}`;
    const holders = lockHoldersOf(error.cause);
    const invalid = error.invalidIndexes.length === 0 ? '' : ` It left ${error.invalidIndexes.length === 1 ? 'an INVALID index' : 'INVALID indexes'} behind, which a new attempt would trip over ("already exists"): run ${error.invalidIndexes.map((i) => i.drop).join(' ')} before migseal resolve.`;
    return new MigsealError('MIGRATION_FAILED', `Migration ${m.version} (${m.name}) failed: ${said}. ${done}; ${state}.${invalid}`, {
      cause: error.cause,
      details: { completed, failed: m.version, dirty: error.mode === 'outside', ...(holders && { lockHolders: holders }), ...(error.invalidIndexes.length > 0 && { invalidIndexes: error.invalidIndexes.map((i) => i.name) }) },
    });
  }
  const message = error instanceof MigsealError ? error.message : String((error as Error)?.message ?? error);
  // Migseal's own statements may wait for a lock too (its history rows, a peer tool's table): the holder is named as for a script.
  const holders = lockHoldersOf(error);
  return new MigsealError('DATABASE_ERROR', `${target} failed during the run: ${message.replace(/\.$/, '')}${lockHolderContext(error)}. ${done}.`, {
    cause: error,
    details: { completed, ...(holders && { lockHolders: holders }) },
  });
}
