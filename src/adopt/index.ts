/**
 * Adopts a database another tool has been managing: reads that tool's history table, checks
 * it against the verified bundle (./match-peer.ts), and records the migrations it applied in
 * migseal's history as `adopted`, linked to the bundle, in one transaction. Later, apply runs
 * only the rest. The peer's table is read and never written: it stays as the tool left it, so
 * switching back means running the peer tool over the migrations migseal applied since.
 */
import { randomUUID } from 'node:crypto';
import type { Driver } from '../db/driver.js';
import { compareReleases } from '../format/release-version.js';
import { LIMITS } from '../limits.js';
import type { VerifiedBundle } from '../verify/index.js';
import { ensureHistorySchema } from '../apply/history-schema.js';
import { closeInterruptedRuns, finishRun, isInSchema, readHistory, startRun, writeMarker, writeMigration } from '../apply/history.js';
import { planMigrations } from '../apply/plan.js';
import { runnerIdentity, type RunnerIdentity } from '../apply/runner-identity.js';
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
}

export async function adoptDatabase(verified: VerifiedBundle, driver: Driver, peer: Peer, options: { lockTimeoutMs?: number; identity?: RunnerIdentity } = {}): Promise<AdoptReport> {
  const identity = options.identity ?? runnerIdentity();
  const { manifest, digest } = verified;
  await driver.lock(options.lockTimeoutMs ?? LIMITS.lockTimeoutMs);
  try {
    const peerHistory = await readPeerHistory(driver, peer);
    const applied = matchPeer(manifest.migrations, verified.files, peerHistory);
    const history = await readHistory(driver);
    const plan = planMigrations(manifest.migrations, verified.files, history);
    const known = new Map(history.migrations.filter(isInSchema).map((r) => [r.key, r]));
    const byMigration = new Map(plan.pending.concat(plan.applied.map((a) => a.planned)).map((p) => [p.migration, p]));
    const toRecord = applied.map((m) => byMigration.get(m)).filter((p) => p !== undefined && !known.has(p.key));
    for (const d of plan.drift) {
      throw new MigsealError('MIGRATION_DRIFT', `migseal's history records ${d.row.key} with other bytes than this bundle's ${d.planned.migration.up}.`);
    }
    const report: AdoptReport = { target: driver.target, peer, adopted: [], alreadyRecorded: applied.length - toRecord.length, pending: manifest.migrations.length - applied.length, runId: undefined };
    if (toRecord.length === 0) return report;

    await ensureHistorySchema(driver);
    await closeInterruptedRuns(driver);
    const runId = randomUUID();
    report.runId = runId;
    const now = new Date().toISOString();
    await driver.transaction(async () => {
      await startRun(driver, {
        runId, command: 'apply', bundleDigest: digest, project: manifest.project, release: manifest.release,
        signers: verified.signers.map((s) => `${s.signer} (${s.role})`), environment: verified.environment,
        host: identity.host, osUser: identity.osUser, startedAt: now, finishedAt: null, outcome: 'running', error: null, reason: `adopt --from ${peer}`,
      });
      for (const p of toRecord) {
        await writeMigration(driver, {
          key: p!.key, version: p!.migration.version, name: p!.migration.name, kind: p!.migration.repeatable ? 'repeatable' : 'versioned',
          checksum: p!.checksum, release: manifest.release, bundleDigest: digest, appliedAt: now, appliedBy: identity.label,
          durationMs: 0, state: 'adopted', runId, note: `adopted from ${peer} (${peerHistory.table})`,
        });
        report.adopted.push({ version: p!.migration.version, name: p!.migration.name });
      }
      if (!history.marker || compareReleases(manifest.release, history.marker.release) >= 0) {
        await writeMarker(driver, { project: manifest.project, dialect: driver.dialect, release: manifest.release, bundleDigest: digest, updatedAt: now });
      }
      await finishRun(driver, runId, 'succeeded', null);
    });
    return report;
  } finally {
    await driver.unlock();
  }
}
