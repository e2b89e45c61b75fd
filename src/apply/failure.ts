/** Turns a failure in the middle of a run into the coded error the operator sees (exit 3). */
import { MigsealError } from '../errors.js';
import { ScriptFailure } from './script-step.js';

export function describeFailure(error: unknown, completed: string[], target: string, verb: 'applied' | 'rolled back'): MigsealError {
  const done = completed.length === 0 ? `No migration was ${verb}` : `Migrations ${completed.join(', ')} were ${verb} and recorded`;
  if (error instanceof ScriptFailure) {
    const m = error.planned.migration;
    const state =
      error.mode === 'transaction'
        ? 'its changes were rolled back'
        : `it ran outside a transaction, so ${target} is marked dirty until migseal resolve --version ${m.version}`;
    return new MigsealError('MIGRATION_FAILED', `Migration ${m.version} (${m.name}) failed: ${error.message.replace(/\.$/, '')}. ${done}; ${state}.`, {
      cause: error.cause,
      details: { completed, failed: m.version, dirty: error.mode === 'outside' },
    });
  }
  const message = error instanceof MigsealError ? error.message : String((error as Error)?.message ?? error);
  return new MigsealError('DATABASE_ERROR', `${target} failed during the run: ${message.replace(/\.$/, '')}. ${done}.`, { cause: error, details: { completed } });
}
