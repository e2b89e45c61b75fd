import { applyBundle, type ApplyReport } from '../../apply/index.js';
import { bundleJson, migrationList } from '../json-shape.js';
import type { Driver } from '../../db/index.js';
import { MigsealError } from '../../errors.js';
import type { VerifiedBundle } from '../../verify/index.js';
import type { AuditTrail } from '../audit-trail.js';
import { databaseUrl, lockTimeoutMs } from '../database.js';
import type { DatabaseUrl } from '../../db/index.js';
import { backupStep, withBackup, type BackupStep } from '../backup-step.js';
import type { EnvironmentRule } from '../../trust/policy.js';
import { waitLimitFlags, waitLimits } from '../wait-limits.js';
import type { CommandContext, CommandRun } from '../table.js';
import { provenance, verifiedDatabaseRun } from '../verified-database-run.js';

export const run: CommandRun = async ({ positionals, flags }, context) => {
  // apply --dry-run is plan: the same verification and checks, nothing written.
  if (flags['dry-run'] === true) return (await import('./plan.js')).run({ positionals, flags }, context);
  if (typeof flags.targets === 'string' && flags.to !== undefined) throw new MigsealError('USAGE', '--to goes with one database (--db); a fleet rollout (--targets) applies whole releases.');
  if (typeof flags.targets === 'string') return (await import('./apply-fleet.js')).run({ positionals, flags }, context);
  for (const flag of ['canary', 'wave', 'parallel', 'shard', 'report']) {
    if (flags[flag] !== undefined) throw new MigsealError('USAGE', `--${flag} goes with --targets FILE (a fleet rollout); a single database is named with --db.`);
  }
  const prepare = (): void => void waitLimitFlags(flags);
  const to = typeof flags.to === 'string' ? flags.to : undefined;
  let backup: BackupStep | undefined;
  // A run that fails after its backup names the file in its failure and its failed record.
  const failureFields = () => (backup?.taken ? { backup: backup.taken } : {});
  const { verified: v, report, audit } = await verifiedDatabaseRun('apply', positionals[0]!, flags, context, { readOnly: false, prepare, failureFields, ...(to !== undefined && { audit: { to } }) }, (bundle, driver, trail, policy) =>
    applyOnDatabase(bundle, driver, trail, flags, context, policy.environments[bundle.environment], { url: databaseUrl(flags, context.env, context.cwd), onBackup: (step) => (backup = step) }),
  ).catch((error: unknown) => {
    throw withBackup(error, backup?.taken, true);
  });
  const taken = backup?.taken;
  recordApplied(audit, v, report, taken ? { backup: taken } : {});
  return {
    text: describe(v, report) + (taken ? `\nbacked up first to ${taken.path} (${taken.bytes} bytes, sha256:${taken.sha256.slice(0, 16)}…)` : ''),
    json: {
      ok: true,
      ...provenance(v),
      bundle: bundleJson(positionals[0], v.digest, v.manifest, true),
      database: report.target,
      migrations: migrationList(report.applied),
      upToDate: report.upToDate,
      runId: report.runId,
      applied: report.applied,
      alreadyApplied: report.alreadyApplied,
      ...(to !== undefined && { to, remaining: report.remaining }),
      ...(report.schemaWarning && { schemaWarning: report.schemaWarning }),
      ...(taken && { backup: taken }),
    },
  };
};

/** What apply does once the bundle is verified and the database open: one database, or each target of a fleet. */
export function applyOnDatabase(
  bundle: VerifiedBundle,
  driver: Driver,
  trail: AuditTrail,
  flags: Record<string, unknown>,
  { env, progress, cwd }: Pick<CommandContext, 'env' | 'progress'> & { cwd?: string },
  rule: EnvironmentRule | undefined,
  /** Where the database is, for a backup (--backup DIR), and what the file is named after; the step is handed back to report what it took. */
  backupOf: { url: DatabaseUrl; env?: Record<string, string | undefined>; name?: string; onBackup?: (step: BackupStep | undefined) => void },
): Promise<ApplyReport> {
  const limits = waitLimits(flags, rule);
  const backup = backupStep(flags, { url: backupOf.url, env: backupOf.env ?? env, cwd: cwd ?? process.cwd(), ...(backupOf.name !== undefined && { name: backupOf.name }) }, driver, bundle.environment, rule, limits.lockTimeoutMs);
  backupOf.onBackup?.(backup);
  return applyBundle(bundle, driver, {
    waitLimits: limits,
    ...(typeof flags.to === 'string' && { to: flags.to }),
    ...(backup && { backup: backup.take }),
    allowUnknownApplied: flags['allow-unknown-applied'] === true,
    peerTableUnrelated: flags['peer-table-unrelated'] === true,
    lockTimeoutMs: lockTimeoutMs(flags, env),
    progress,
    announce: (run) => trail.started(run, { ...provenance(bundle), ...(run.backup && { backup: run.backup }) }),
  });
}

/** The audit record of an apply that finished. */
export function recordApplied(audit: AuditTrail, v: VerifiedBundle, report: ApplyReport, fields: Record<string, unknown> = {}, options: { sync?: boolean } = {}): void {
  audit.record({ outcome: report.upToDate || report.applied.length === 0 ? 'up-to-date' : 'applied', database: report.target, ...provenance(v), runId: report.runId, migrations: report.applied.map((a) => a.version), ...(report.schemaWarning && { schemaWarning: report.schemaWarning }), ...fields }, options);
}

function describe(v: VerifiedBundle, report: ApplyReport): string {
  const head = `verified ${v.manifest.project} release ${v.manifest.release} (sha256:${v.digest.slice(0, 16)}…) for environment "${v.environment}"${report.schemaWarning ? `\nwarning: ${report.schemaWarning}` : ''}`;
  if (report.upToDate) return `${head}\n${report.target} is up to date: ${report.alreadyApplied} migration${report.alreadyApplied === 1 ? '' : 's'} already applied, nothing to do`;
  const left = report.remaining.length > 0 ? [`${report.remaining.length} left pending after ${report.to} (release ${v.manifest.release} is complete once they run): ${report.remaining.map((r) => r.version).join(', ')}`] : [];
  if (report.applied.length === 0) return [head, `${report.target} already has every migration up to ${report.to}; nothing to do`, ...left].join('\n');
  const width = Math.max(...report.applied.map((a) => a.version.length));
  return [
    head,
    `applied ${report.applied.length} migration${report.applied.length === 1 ? '' : 's'} to ${report.target}${report.to !== undefined ? ` up to ${report.to}` : ''}${report.alreadyApplied ? ` (${report.alreadyApplied} already applied)` : ''}`,
    ...report.applied.map((a) => `  ${a.version.padEnd(width)}  ${a.name}  ${a.durationMs} ms${a.mode === 'outside' ? ' (outside a transaction)' : ''}`),
    ...left,
  ].join('\n');
}
