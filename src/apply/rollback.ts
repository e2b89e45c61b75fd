/**
 * Rolls a database back to a version with the bundle's verified down scripts, newest
 * first. Every needed down script must exist before anything runs; each one and its
 * history update commit together (or, outside a transaction, are bracketed by a dirty mark).
 * The release marker stays: rolling forward again means re-applying this release.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Driver } from '../db/driver.js';
import { MigsealError } from '../errors.js';
import { migrationScript } from '../format/migration-script.js';
import { LIMITS } from '../limits.js';
import type { VerifiedBundle } from '../verify/index.js';
import { signerLabels } from './apply.js';
import type { CheckContext } from './check-context.js';
import { checkTarget } from './check-target.js';
import { checkNotDirty } from './check-dirty.js';
import { checkReleaseNotOlder } from './check-release.js';
import { checkNoDrift } from './check-drift.js';
import { checkNoUnknownApplied } from './check-unknown-applied.js';
import { executionMode, type ExecutionMode } from './execution-mode.js';
import { describeFailure } from './failure.js';
import { closeInterruptedRuns, finishRun, readHistory, setMigrationState, startRun } from './history.js';
import { planMigrations, type PlannedMigration } from './plan.js';
import { ScriptFailure } from './run-migration.js';
import { runnerIdentity, type RunnerIdentity } from './runner-identity.js';
import { scriptText } from './script-text.js';

export interface RollbackOptions {
  to: string;
  allowUnknownApplied?: boolean;
  lockTimeoutMs?: number;
  identity?: RunnerIdentity;
  progress?: (line: string) => void;
}

export interface RollbackReport {
  target: string;
  to: string;
  rolledBack: Array<{ version: string; name: string; mode: ExecutionMode; durationMs: number }>;
  runId: string | undefined;
}

export async function rollbackBundle(verified: VerifiedBundle, driver: Driver, options: RollbackOptions): Promise<RollbackReport> {
  const identity = options.identity ?? runnerIdentity();
  const { manifest, digest } = verified;
  await driver.lock(options.lockTimeoutMs ?? LIMITS.lockTimeoutMs);
  try {
    const history = await readHistory(driver);
    const plan = planMigrations(manifest.migrations, verified.files, history);
    const context: CheckContext = { manifest, digest, dialect: driver.dialect, target: driver.target, history, plan, allowUnknownApplied: options.allowUnknownApplied === true };
    checkTarget(context);
    checkNotDirty(context);
    checkReleaseNotOlder(context);
    checkNoDrift(context);
    checkNoUnknownApplied(context);

    const stop = targetIndex(manifest.migrations, options.to);
    const steps = plan.applied
      .filter(({ planned }) => !planned.migration.repeatable && planned.index > stop)
      .sort((a, b) => b.planned.index - a.planned.index)
      .map(({ planned }) => ({ planned, sql: downScript(planned, verified.files) }));
    const report: RollbackReport = { target: driver.target, to: options.to, rolledBack: [], runId: undefined };
    if (steps.length === 0) return report;

    await closeInterruptedRuns(driver);
    const runId = randomUUID();
    report.runId = runId;
    await startRun(driver, {
      runId, command: 'rollback', bundleDigest: digest, project: manifest.project, release: manifest.release, signers: signerLabels(verified),
      environment: verified.environment, host: identity.host, osUser: identity.osUser, startedAt: new Date().toISOString(),
      finishedAt: null, outcome: 'running', error: null, reason: `rollback to ${options.to}`,
    });
    const note = `rolled back by ${identity.label} at `;
    for (const { planned, sql } of steps) {
      options.progress?.(`rolling back ${planned.migration.version} ${planned.migration.name}`);
      const mode = executionMode(planned.migration, sql);
      const started = performance.now();
      try {
        const exec = async () => {
          try {
            await driver.exec(sql);
          } catch (error) {
            throw new ScriptFailure(planned, mode, error);
          }
        };
        if (mode === 'transaction') {
          await driver.transaction(async () => {
            await exec();
            await setMigrationState(driver, planned.key, 'rolled-back', runId, note + new Date().toISOString());
          });
        } else {
          await setMigrationState(driver, planned.key, 'dirty', runId, 'rolling back outside a transaction');
          await exec();
          await setMigrationState(driver, planned.key, 'rolled-back', runId, note + new Date().toISOString());
        }
      } catch (error) {
        const failure = describeFailure(error, report.rolledBack.map((r) => r.version), driver.target, 'rolled back');
        await finishRun(driver, runId, 'failed', failure.message).catch(() => undefined);
        throw failure;
      }
      report.rolledBack.push({ version: planned.migration.version, name: planned.migration.name, mode, durationMs: Math.round(performance.now() - started) });
    }
    await finishRun(driver, runId, 'succeeded', null);
    return report;
  } finally {
    await driver.unlock();
  }
}

/** Index of the version to stop at; "0" (when no migration has that version) means before the first. */
function targetIndex(migrations: VerifiedBundle['manifest']['migrations'], to: string): number {
  const index = migrations.findIndex((m) => !m.repeatable && m.version === to);
  if (index >= 0) return index;
  if (to === '0') return -1;
  throw new MigsealError('USAGE', `Version ${to} is not a migration in this bundle; --to takes one of its versions, or 0 for all.`);
}

function downScript(planned: PlannedMigration, files: VerifiedBundle['files']): string {
  const m = planned.migration;
  try {
    return scriptText(migrationScript(m, 'down', files), m);
  } catch (error) {
    if (error instanceof MigsealError && error.code === 'DOWN_SCRIPT_MISSING') {
      throw new MigsealError('DOWN_SCRIPT_MISSING', `Migration ${m.version} (${m.name}) has no down script, so nothing was rolled back.`, { details: { version: m.version } });
    }
    throw error;
  }
}
