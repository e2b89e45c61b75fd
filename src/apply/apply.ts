/**
 * Applies a verified bundle to a database: lock, read history, refuse anything the checks
 * refuse (nothing written yet), then run each pending migration and record it. A failure
 * stops the run with every completed migration recorded (exit 3).
 */
import { randomUUID } from 'node:crypto';
import type { Driver } from '../db/driver.js';
import { compareReleases } from '../format/release-version.js';
import { LIMITS } from '../limits.js';
import type { VerifiedBundle } from '../verify/index.js';
import { checkAgainstHistory } from './checks.js';
import { ensureHistorySchema } from './history-schema.js';
import { closeInterruptedRuns, finishRun, readHistory, startRun, type History } from './history.js';
import { planMigrations } from './plan.js';
import { runMigration, type MigrationResult } from './run-migration.js';
import { describeFailure } from './failure.js';
import { runnerIdentity, type RunnerIdentity } from './runner-identity.js';

export interface ApplyOptions {
  allowUnknownApplied?: boolean;
  lockTimeoutMs?: number;
  identity?: RunnerIdentity;
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
  runId: string | undefined;
}

export const signerLabels = (verified: VerifiedBundle): string[] => verified.signers.map((s) => `${s.signer} (${s.role})`);

export async function applyBundle(verified: VerifiedBundle, driver: Driver, options: ApplyOptions = {}): Promise<ApplyReport> {
  const identity = options.identity ?? runnerIdentity();
  const progress = options.progress ?? (() => undefined);
  const { manifest, digest } = verified;
  await driver.lock(options.lockTimeoutMs ?? LIMITS.lockTimeoutMs);
  try {
    const history = await readHistory(driver);
    const plan = planMigrations(manifest.migrations, verified.files, history);
    checkAgainstHistory({ manifest, digest, dialect: driver.dialect, target: driver.target, history, plan, allowUnknownApplied: options.allowUnknownApplied === true });
    const report: ApplyReport = {
      target: driver.target,
      project: manifest.project,
      release: manifest.release,
      digest,
      upToDate: plan.pending.length === 0,
      applied: [],
      alreadyApplied: plan.applied.length,
      runId: undefined,
    };
    if (report.upToDate) return report;

    await ensureHistorySchema(driver);
    await closeInterruptedRuns(driver);
    const runId = randomUUID();
    report.runId = runId;
    await startRun(driver, {
      runId,
      command: 'apply',
      bundleDigest: digest,
      project: manifest.project,
      release: manifest.release,
      signers: signerLabels(verified),
      environment: verified.environment,
      host: identity.host,
      osUser: identity.osUser,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      outcome: 'running',
      error: null,
      reason: null,
    });
    const run = {
      driver,
      runId,
      release: manifest.release,
      bundleDigest: digest,
      appliedBy: identity.label,
      marker: markerFor(verified, driver, history),
    };
    for (const planned of plan.pending) {
      progress(`applying ${planned.migration.version} ${planned.migration.name}`);
      try {
        report.applied.push(await runMigration(run, planned));
        // The first migration of the run moved the release marker; later ones need not rewrite it.
        run.marker = undefined;
      } catch (error) {
        const failure = describeFailure(error, report.applied.map((a) => a.version), driver.target, 'applied');
        await finishRun(driver, runId, 'failed', failure.message).catch(() => undefined);
        throw failure;
      }
    }
    await finishRun(driver, runId, 'succeeded', null);
    return report;
  } finally {
    await driver.unlock();
  }
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
