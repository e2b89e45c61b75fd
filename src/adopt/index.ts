/**
 * Adopts a database another tool has been managing: reads that tool's history table, checks
 * it against the verified bundle (./match-peer.ts), and records the migrations it applied in
 * migseal's history as `adopted`, linked to the bundle, in one transaction. Later, apply runs
 * only the rest. Adopt only reads the peer's table. Later runs write it only when the bundle keeps
 * it (its signed `peerHistory`: apply, rollback and resolve then keep it in step as the tool
 * would, so the tool can take over again); otherwise it stays as the tool left it, and switching
 * back means running the peer tool over the migrations migseal applied since.
 */
import type { Driver } from '../db/driver.js';
import { compareReleases } from '../format/release-version.js';
import type { VerifiedBundle } from '../verify/index.js';
import { bundleRunStart } from '../apply/apply.js';
import { isInSchema, writeMarker, writeMigration } from '../apply/history.js';
import { planMigrations, type PlannedMigration } from '../apply/plan.js';
import { releaseOwner, withRecordedRun, type RecordedRunOptions } from '../apply/recorded-run.js';
import { MigsealError } from '../errors.js';
import { matchPeer } from './match-peer.js';
import { readPeerHistory, type Peer } from './peer-history.js';

export { PEERS, parsePeer, type Peer } from './peer-history.js';

export interface AdoptReport {
  target: string;
  peer: Peer;
  adopted: Array<{ version: string; name: string }>;
  alreadyRecorded: number;
  pending: number;
  runId: string | undefined;
  /** The peer's table that was read, and whether the bundle keeps it (apply, rollback and resolve write it in step). */
  peerTable: { name: string; kept: boolean };
}

export async function adoptDatabase(verified: VerifiedBundle, driver: Driver, peer: Peer, options: RecordedRunOptions = {}): Promise<AdoptReport> {
  const { manifest, digest } = verified;
  return withRecordedRun<AdoptReport>(driver, { ...options, lockOwner: releaseOwner('adopt', verified) }, async (history, identity) => {
    // The table the bundle names for this tool (a team's own name for it), else the tool's default.
    const named = manifest.peerHistory?.tool === peer ? manifest.peerHistory.table : undefined;
    const peerHistory = await readPeerHistory(driver, peer, named);
    const applied = matchPeer(manifest.migrations, verified.files, peerHistory);
    const plan = planMigrations(manifest.migrations, verified.files, history);
    const known = new Map(history.migrations.filter(isInSchema).map((r) => [r.key, r]));
    const byMigration = new Map(plan.pending.concat(plan.applied.map((a) => a.planned)).map((p) => [p.migration, p]));
    const toRecord = applied.map((m) => byMigration.get(m)).filter((p): p is PlannedMigration => p !== undefined && !known.has(p.key));
    for (const d of plan.drift) {
      throw new MigsealError('MIGRATION_DRIFT', `migseal's history records ${d.row.key} with other bytes than this bundle's ${d.planned.migration.up ?? `empty up of version ${d.planned.migration.version}`}.`);
    }
    const report: AdoptReport = { target: driver.target, peer, adopted: [], alreadyRecorded: applied.length - toRecord.length, pending: manifest.migrations.length - applied.length, runId: undefined, peerTable: { name: peerHistory.table, kept: manifest.peerHistory?.tool === peer && manifest.peerHistory.keep } };
    if (toRecord.length === 0 && history.exists) return { nothingToDo: report };
    // The peer's table records nothing (the tool was set up and never ran a migration): the takeover is
    // still recorded, as a run with no migration, so the next apply sees migseal history and runs them all.
    const reason = toRecord.length === 0 ? `adopt --from ${peer}: ${peerHistory.table} records no migration, nothing adopted` : `adopt --from ${peer}`;
    return {
      start: bundleRunStart(verified, 'apply', reason),
      // Every adopted row, the release marker and the run commit together.
      atomic: true,
      steps: async ({ runId }) => {
        report.runId = runId;
        const now = new Date().toISOString();
        for (const p of toRecord) {
          await writeMigration(driver, {
            key: p.key, version: p.migration.version, name: p.migration.name, kind: p.migration.repeatable ? 'repeatable' : 'versioned',
            checksum: p.checksum, release: manifest.release, bundleDigest: digest, appliedAt: now, appliedBy: identity.label,
            durationMs: 0, state: 'adopted', runId, note: `adopted from ${peer} (${peerHistory.table})`,
          });
          report.adopted.push({ version: p.migration.version, name: p.migration.name });
        }
        // Nothing adopted: the database holds no release yet.
        if (toRecord.length > 0 && (!history.marker || compareReleases(manifest.release, history.marker.release) >= 0)) {
          await writeMarker(driver, { project: manifest.project, dialect: driver.dialect, release: manifest.release, bundleDigest: digest, updatedAt: now }, runId);
        }
        return report;
      },
    };
  });
}
