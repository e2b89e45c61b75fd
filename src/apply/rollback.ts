/**
 * Rolls a database back to a version with the bundle's verified down scripts, newest
 * first. Every needed down script must exist before anything runs; each one and its
 * history update commit together (or, outside a transaction, are bracketed by a dirty mark).
 * The release marker stays: rolling forward again means re-applying this release.
 */
import type { Driver } from '../db/driver.js';
import { MigsealError } from '../errors.js';
import { migrationScript } from '../format/migration-script.js';
import type { VerifiedBundle } from '../verify/index.js';
import { bundleRunStart } from './apply.js';
import { CHECKS_BEFORE_ROLLBACK, runChecks } from './checks.js';
import { checkAnalysisJudged } from './check-analysis.js';
import { executionMode, type ExecutionMode } from './execution-mode.js';
import { describeFailure } from './failure.js';
import { setMigrationState } from './history.js';
import { planMigrations, type PlannedMigration } from './plan.js';
import { releaseOwner, withRecordedRun, type RecordedRun, type RecordedRunOptions } from './recorded-run.js';
import { customPeerTable, peerHistoryKeeper, peerTableUsable } from '../peer-history/index.js';
import { runScriptStep } from './script-step.js';
import { scriptText } from './script-text.js';

export interface RollbackOptions extends RecordedRunOptions {
  to: string;
  allowUnknownApplied?: boolean;
  progress?: (line: string) => void;
  /**
   * Shown what will run (newest first) after every check has passed and before anything is
   * written, with the lock held so nothing changes meanwhile; throwing stops the rollback.
   */
  confirm?: (plan: RollbackPlanStep[]) => Promise<void> | void;
}

/** One down script a rollback will run. */
export interface RollbackPlanStep {
  version: string;
  name: string;
  /** The bundle file the down script comes from. */
  file: string;
  sql: string;
}

export interface RollbackReport {
  target: string;
  to: string;
  rolledBack: Array<{ version: string; name: string; mode: ExecutionMode; durationMs: number }>;
  runId: string | undefined;
}

interface DownStep {
  planned: PlannedMigration;
  sql: string;
}

export async function rollbackBundle(verified: VerifiedBundle, driver: Driver, options: RollbackOptions): Promise<RollbackReport> {
  const { manifest, digest } = verified;
  return withRecordedRun<RollbackReport>(driver, { ...options, lockOwner: releaseOwner('rollback', verified) }, async (history) => {
    const plan = planMigrations(manifest.migrations, verified.files, history);
    runChecks(CHECKS_BEFORE_ROLLBACK, { manifest, digest, dialect: driver.dialect, target: driver.target, history, plan, allowUnknownApplied: options.allowUnknownApplied === true });
    // T5.1, T5.6: the findings judged at verification are those of the down scripts, as this database reads them.
    checkAnalysisJudged(verified, driver.dialect, 'down');
    // Every down script needed is found before anything runs.
    const stop = targetIndex(manifest.migrations, options.to);
    const steps: DownStep[] = plan.applied
      .filter(({ planned }) => !planned.migration.repeatable && planned.index > stop)
      .sort((a, b) => b.planned.index - a.planned.index)
      .map(({ planned }) => ({ planned, sql: downScript(planned, verified.files) }));
    const report: RollbackReport = { target: driver.target, to: options.to, rolledBack: [], runId: undefined };
    if (steps.length === 0) return { nothingToDo: report };
    await options.confirm?.(steps.map(({ planned, sql }) => ({ version: planned.migration.version, name: planned.migration.name, file: planned.migration.down ?? planned.migration.up ?? '', sql })));
    return {
      start: bundleRunStart(verified, 'rollback', `rollback to ${options.to}`),
      steps: (run) => rollBack(verified, steps, run, report, options.progress),
      failure: (error) => describeFailure(error, report.rolledBack.map((r) => r.version), driver.target, 'rolled back', customPeerTable(verified.manifest.peerHistory)),
    };
  });
}

async function rollBack(verified: VerifiedBundle, steps: DownStep[], run: RecordedRun, report: RollbackReport, progress?: (line: string) => void): Promise<RollbackReport> {
  report.runId = run.runId;
  const { driver, runId } = run;
  // A table of another tool under the kept name was left alone by apply (--peer-table-unrelated): rollback too.
  const keeper = (await peerTableUsable(verified.manifest, driver, true)) ? peerHistoryKeeper(verified.manifest, driver) : undefined;
  await keeper?.prepare();
  const versioned = verified.manifest.migrations.filter((m) => !m.repeatable);
  for (const { planned, sql } of steps) {
    progress?.(`rolling back ${planned.migration.version} ${planned.migration.name}`);
    const mode = await executionMode(planned.migration, sql, driver.dialect);
    const down = planned.migration.down ?? planned.migration.up ?? '';
    const before = versioned[versioned.indexOf(planned.migration) - 1];
    const peer = keeper?.step(planned.migration, verified.files.get(down) ?? Buffer.alloc(0), down, before?.version);
    const durationMs = await runScriptStep({
      driver,
      planned,
      sql,
      mode,
      ...(peer && { beforeScript: () => peer.beforeDown() }),
      markDirty: (note) => setMigrationState(driver, planned.key, 'dirty', runId, `rolling back: ${note}`),
      recordDone: async (took) => {
        await setMigrationState(driver, planned.key, 'rolled-back', runId, `rolled back by ${run.identity.label} at ${new Date().toISOString()}`);
        await peer?.afterDown(took);
      },
    });
    report.rolledBack.push({ version: planned.migration.version, name: planned.migration.name, mode, durationMs });
  }
  return report;
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
