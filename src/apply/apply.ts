/**
 * Applies a verified bundle to a database, in the order the README lists, inside the
 * recorded-run skeleton (./recorded-run.ts: lock, history, run record, unlock):
 *   1. plan: what the bundle holds against what the history records;
 *   2. check: refuse anything the checks refuse, before anything is written;
 *   3. run each pending migration with its history row;
 *   4. a failure stops the run with every completed migration recorded (exit 3).
 */
import type { Driver } from '../db/driver.js';
import { compareReleases } from '../format/release-version.js';
import type { VerifiedBundle } from '../verify/index.js';
import { CHECKS_BEFORE_APPLY, runChecks } from './checks.js';
import { checkNoForeignHistory, findForeignHistory } from './check-foreign-history.js';
import { checkAnalysisJudged } from './check-analysis.js';
import { describeFailure } from './failure.js';
import { writeMarker, type History } from './history.js';
import { planMigrations, type PlannedMigration } from './plan.js';
import { pendingUpTo, targetIndex } from './target-version.js';
import { releaseOwner, withRecordedRun, type RecordedRun, type RecordedRunOptions, type RunStart } from './recorded-run.js';
import { runMigration, type MigrationResult, type MigrationRun } from './run-migration.js';
import { customPeerTable, peerHistoryKeeper, peerTableUsable } from '../peer-history/index.js';
import { invalidIndexesLeftBy } from './invalid-indexes.js';
import { ScriptFailure } from './script-step.js';
import { readLiveSchema } from './live-schema.js';
import { liveSchemaWarning } from './check-live-schema.js';

export interface ApplyOptions extends RecordedRunOptions {
  allowUnknownApplied?: boolean;
  /** The operator says a peer tool's history table in this database is unrelated to it. */
  peerTableUnrelated?: boolean;
  /** Apply up to and including this version only (golang-migrate's goto, Flyway's -target). */
  to?: string;
  progress?: (line: string) => void;
}

export interface ApplyReport {
  target: string;
  project: string;
  release: string;
  digest: string;
  /** Nothing was pending: the database already holds this release. */
  upToDate: boolean;
  applied: MigrationResult[];
  alreadyApplied: number;
  /** With --to: the version applied up to, and the pending migrations left for a later run. */
  to: string | undefined;
  remaining: Array<{ version: string; name: string }>;
  runId: string | undefined;
  /** The live schema had drifted from the last recorded fingerprint and the policy said warn: what was said. */
  schemaWarning?: string;
}

export const signerLabels = (verified: VerifiedBundle): string[] => verified.signers.map((s) => `${s.signer} (${s.role})`);

/** What a run's row records about the bundle that started it. */
export function bundleRunStart(verified: VerifiedBundle, command: RunStart['command'], reason: string | null): RunStart {
  const { manifest, digest } = verified;
  return { command, bundleDigest: digest, project: manifest.project, release: manifest.release, signers: signerLabels(verified), environment: verified.environment, reason };
}

export async function applyBundle(verified: VerifiedBundle, driver: Driver, options: ApplyOptions = {}): Promise<ApplyReport> {
  const { manifest, digest } = verified;
  // --to names a version of this bundle: a usage error before the lock is taken.
  const stop = options.to === undefined ? undefined : targetIndex(manifest.migrations, options.to);
  return withRecordedRun<ApplyReport>(driver, { ...options, lockOwner: releaseOwner('apply', verified) }, async (history) => {
    // 0. T4.12: not a database another migration tool manages.
    checkNoForeignHistory(await findForeignHistory(driver, history), driver.target, options.peerTableUnrelated === true);
    // The peer tool's table the bundle keeps: refused here, before anything runs, when another tool's table has its name.
    const keepPeer = await peerTableUsable(manifest, driver, options.peerTableUnrelated === true);
    // 1. Plan.
    const plan = planMigrations(manifest.migrations, verified.files, history);
    // 2. Check (nothing written yet), the live schema against the last recorded fingerprint first.
    const liveSchema = await readLiveSchema(driver, history);
    const context = { manifest, digest, dialect: driver.dialect, target: driver.target, history, plan, allowUnknownApplied: options.allowUnknownApplied === true, liveSchema, onDrift: verified.onDrift };
    runChecks(CHECKS_BEFORE_APPLY, context);
    const schemaWarning = liveSchemaWarning(context);
    // T5.1, T5.6: the findings judged at verification are those of the up scripts, as this database reads them.
    checkAnalysisJudged(verified, driver.dialect, 'up');
    // --to: only the pending migrations up to the version; nothing after it may be applied already.
    const selected = stop === undefined ? plan.pending : pendingUpTo(plan, stop, options.to!);
    const remaining = plan.pending.filter((p) => !selected.includes(p));
    const report: ApplyReport = {
      target: driver.target,
      project: manifest.project,
      release: manifest.release,
      digest,
      upToDate: plan.pending.length === 0,
      applied: [],
      alreadyApplied: plan.applied.length,
      to: options.to,
      remaining: remaining.map((p) => ({ version: p.migration.version, name: p.migration.name })),
      runId: undefined,
      ...(schemaWarning && { schemaWarning }),
    };
    if (remaining.length > 0 && selected.length === 0) return { nothingToDo: report };
    if (report.upToDate) {
      // Its last migration was resolved as applied: nothing runs, but the release becomes the database's.
      const marker = markerFor(verified, driver, history);
      if (!marker || (history.marker?.release === marker.release && history.marker.bundleDigest === digest)) return { nothingToDo: report };
      return {
        start: bundleRunStart(verified, 'apply', 'nothing left to run: the release is recorded as applied'),
        atomic: true,
        steps: async (run) => {
          await writeMarker(driver, marker, run.runId);
          return { ...report, runId: run.runId };
        },
      };
    }
    return {
      start: bundleRunStart(verified, 'apply', remaining.length > 0 ? `apply up to ${options.to}` : null),
      // 3. Run (the release becomes the database's only when nothing is left pending).
      steps: (run) => runPending(verified, selected, remaining.length === 0, run, report, options.progress ?? (() => undefined), keepPeer),
      // 4. Stop at the first failure.
      failure: (error) => describeFailure(error, report.applied.map((a) => a.version), driver.target, 'applied', customPeerTable(verified.manifest.peerHistory)),
    };
  });
}

async function runPending(verified: VerifiedBundle, pending: readonly PlannedMigration[], completes: boolean, recorded: RecordedRun, report: ApplyReport, progress: (line: string) => void, keepPeer: boolean): Promise<ApplyReport> {
  report.runId = recorded.runId;
  const run: MigrationRun = {
    driver: recorded.driver,
    runId: recorded.runId,
    release: verified.manifest.release,
    bundleDigest: verified.digest,
    appliedBy: recorded.identity.label,
    marker: undefined,
  };
  const peer = keepPeer ? peerHistoryKeeper(verified.manifest, recorded.driver) : undefined;
  if (peer) {
    await peer.prepare();
    run.peer = peer;
  }
  const marker = completes ? markerFor(verified, recorded.driver, recorded.history) : undefined;
  for (const [i, planned] of pending.entries()) {
    progress(`applying ${planned.migration.version} ${planned.migration.name}`);
    // The release becomes the database's with its last migration.
    run.marker = i === pending.length - 1 ? marker : undefined;
    try {
      report.applied.push(await runMigration(run, planned));
    } catch (error) {
      if (error instanceof ScriptFailure) error.invalidIndexes = await invalidIndexesLeftBy(recorded.driver, planned.sql);
      throw error;
    }
  }
  return report;
}

function markerFor(verified: VerifiedBundle, driver: Driver, history: History) {
  const current = history.marker;
  if (current && compareReleases(verified.manifest.release, current.release) < 0) return undefined;
  return {
    project: verified.manifest.project,
    dialect: driver.dialect,
    release: verified.manifest.release,
    bundleDigest: verified.digest,
    updatedAt: new Date().toISOString(),
  };
}
