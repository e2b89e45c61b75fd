/**
 * The operator's way out of a migration that failed outside a transaction: after looking at
 * the schema, they record whether it took effect (applied) or not (rolled-back), and why.
 * The decision is a run of its own in the history, with who made it. Only a dirty migration
 * is resolved; rewriting a clean one's record needs --force (./check-resolvable.ts).
 */
import type { Driver } from '../db/driver.js';
import { resolvePeerHistory } from '../peer-history/resolve.js';
import { MigsealError } from '../errors.js';
import { setMigrationState, type MigrationState } from './history.js';
import { checkResolvable } from './check-resolvable.js';
import { withRecordedRun, type RecordedRunOptions } from './recorded-run.js';

export interface ResolveOptions extends RecordedRunOptions {
  version: string;
  as: 'applied' | 'rolled-back';
  reason: string;
  /** Rewrite the record of a migration that is not dirty (recorded as forced). */
  force?: boolean;
}

export interface ResolveReport {
  target: string;
  version: string;
  name: string;
  from: MigrationState;
  to: 'applied' | 'rolled-back';
  by: string;
  runId: string;
  forced: boolean;
  /** What the next apply will do with the migration. */
  next: string;
}

export async function resolveMigration(driver: Driver, options: ResolveOptions): Promise<ResolveReport> {
  if (options.reason.trim() === '') throw new MigsealError('USAGE', 'resolve needs a --reason saying why.');
  return withRecordedRun(driver, options, (history, identity) => {
    // T4.13: only a migration left dirty is resolved without --force.
    const { row, forced, next } = checkResolvable(history, driver.target, options.version, options.as, options.force === true);
    const tag = forced ? 'FORCED ' : '';
    return {
      start: {
        command: 'resolve', bundleDigest: row.bundleDigest, project: history.marker?.project ?? null, release: row.release, signers: [], environment: null,
        reason: `${tag}${options.version} ${row.state} -> ${options.as}: ${options.reason}`,
      },
      // The decision and its run commit together.
      atomic: true,
      steps: async ({ runId }) => {
        const now = new Date().toISOString();
        await setMigrationState(driver, row.key, options.as, runId, `${forced ? 'forced: ' : ''}resolved as ${options.as} by ${identity.label} at ${now}: ${options.reason}`);
        // The peer tool's table, if the failed run left a row behind in it, is settled in the same transaction.
        const earlier = history.migrations.filter((m) => m.state === 'applied' && m.kind === 'versioned' && m.key !== row.key && m.appliedAt < row.appliedAt).map((m) => m.version);
        await resolvePeerHistory(driver, row.version, options.as, earlier);
        return { target: driver.target, version: row.version, name: row.name, from: row.state, to: options.as, by: identity.label, runId, forced, next };
      },
    };
  });
}
