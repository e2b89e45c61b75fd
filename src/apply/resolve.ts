/**
 * The operator's way out of a migration that failed outside a transaction: after looking at
 * the schema, they record whether it took effect (applied) or not (rolled-back), and why.
 * The decision is a run of its own in the history, with who made it. Only a dirty migration
 * is resolved; rewriting a clean one's record needs --force (./check-resolvable.ts).
 */
import type { Driver } from '../db/driver.js';
import { resolvePeerHistory, type PeerResolution } from '../peer-history/resolve.js';
import { MigsealError } from '../errors.js';
import type { PeerHistorySetting } from '../format/manifest.js';
import { setMigrationState, type AppliedMigration, type MigrationState, type RunRecord } from './history.js';
import { checkResolvable } from './check-resolvable.js';
import { withRecordedRun, type RecordedRunOptions } from './recorded-run.js';

export interface ResolveOptions extends RecordedRunOptions {
  version: string;
  as: 'applied' | 'rolled-back';
  reason: string;
  /** Rewrite the record of a migration that is not dirty (recorded as forced). */
  force?: boolean;
  /**
   * The verified bundle that ran the migration (its digest and its signed peer-history setting): the peer table
   * settled is then exactly the one the bundle keeps, a custom name included. Without it, the tools' default names.
   */
  bundle?: { digest: string; peerHistory: PeerHistorySetting | undefined };
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
  /** The peer tools' tables settled with it. */
  peerTables: PeerResolution[];
}

export async function resolveMigration(driver: Driver, options: ResolveOptions): Promise<ResolveReport> {
  if (options.reason.trim() === '') throw new MigsealError('USAGE', 'resolve needs a --reason saying why.');
  return withRecordedRun(driver, { ...options, lockOwner: { command: 'resolve' } }, (history, identity) => {
    // T4.13: only a migration left dirty is resolved without --force.
    const { row, forced, next } = checkResolvable(history, driver.target, options.version, options.as, options.force === true);
    if (options.bundle) checkBundleRan(options.bundle.digest, row, history.runs, options.version);
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
        const peerTables = await resolvePeerHistory(driver, row.version, options.as, earlier, options.bundle && (options.bundle.peerHistory ?? null));
        return { target: driver.target, version: row.version, name: row.name, from: row.state, to: options.as, by: identity.label, runId, forced, next, peerTables };
      },
    };
  });
}

/** The bundle given must be the one that applied the migration or the one whose run left it as it is. */
function checkBundleRan(digest: string, row: AppliedMigration, runs: RunRecord[], version: string): void {
  const lastRun = runs.find((r) => r.runId === row.runId)?.bundleDigest;
  if (digest === row.bundleDigest || digest === lastRun) return;
  throw new MigsealError(
    'MIGRATION_NOT_RESOLVABLE',
    `Migration ${version} was run by bundle sha256:${(lastRun ?? row.bundleDigest).slice(0, 16)}…, not by the one given (sha256:${digest.slice(0, 16)}…); give resolve the bundle that ran it.`,
    { details: { version, bundleDigest: digest, ranBy: lastRun ?? row.bundleDigest } },
  );
}
