import { rollbackBundle, type RollbackPlanStep } from '../../apply/index.js';
import { bundleJson, migrationList } from '../json-shape.js';
import { MigsealError } from '../../errors.js';
import { LIMITS } from '../../limits.js';
import { lockTimeoutMs } from '../database.js';
import { waitLimitFlags, waitLimits } from '../wait-limits.js';
import { requireFlag } from '../parse.js';
import { COMMANDS, type CommandContext, type CommandRun } from '../table.js';
import { provenance, verifiedDatabaseRun } from '../verified-database-run.js';

export const run: CommandRun = async ({ positionals, flags }, context) => {
  const { env, progress } = context;
  const to = requireFlag(flags, 'to', COMMANDS.rollback!.usage);
  let target = '';
  const { verified: v, report, audit } = await verifiedDatabaseRun('rollback', positionals[0]!, flags, context, { readOnly: false, audit: { to }, direction: 'down', prepare: () => void waitLimitFlags(flags) }, (bundle, driver, trail, policy) => {
    target = driver.target;
    return rollbackBundle(bundle, driver, {
      waitLimits: waitLimits(flags, policy.environments[bundle.environment]),
      to,
      allowUnknownApplied: flags['allow-unknown-applied'] === true,
      lockTimeoutMs: lockTimeoutMs(flags, env),
      progress,
      announce: (run) => trail.started(run, provenance(bundle)),
      confirm: (plan) => confirmRollback(plan, { target, to, yes: flags.yes === true }, context),
    });
  });
  audit.record({ outcome: 'rolled-back', database: report.target, to, ...provenance(v), runId: report.runId, migrations: report.rolledBack.map((r) => r.version) });
  const text =
    report.rolledBack.length === 0
      ? `${report.target} has nothing applied after ${to}; nothing to roll back`
      : [
          `verified ${v.manifest.project} release ${v.manifest.release} (sha256:${v.digest.slice(0, 16)}…)`,
          `rolled back ${report.rolledBack.length} migration${report.rolledBack.length === 1 ? '' : 's'} on ${report.target}, newest first, to ${to}`,
          ...report.rolledBack.map((r) => `  ${r.version}  ${r.name}  ${r.durationMs} ms`),
        ].join('\n');
  return { text, json: { ok: true, ...provenance(v), bundle: bundleJson(positionals[0], v.digest, v.manifest, true), database: report.target, migrations: migrationList(report.rolledBack), to, runId: report.runId, rolledBack: report.rolledBack } };
};

/**
 * Down scripts may drop data: the plan is printed first, then a terminal is asked (y/N) and
 * anything else needs --yes. Runs with the lock held and before anything is written.
 */
async function confirmRollback(plan: RollbackPlanStep[], { target, to, yes }: { target: string; to: string; yes: boolean }, context: CommandContext): Promise<void> {
  const count = `${plan.length} migration${plan.length === 1 ? '' : 's'}`;
  context.notice?.(describePlan(plan, target, to));
  if (yes) return;
  const planned = plan.map(({ version, name, file }) => ({ version, name, file }));
  if (!context.confirm) {
    throw new MigsealError('USAGE', `rollback would run the down scripts of ${count} on ${target}, and asks first; stdin and stdout are not a terminal, so pass --yes to roll back without asking. Nothing was rolled back.`, {
      details: { plan: planned },
    });
  }
  if (!(await context.confirm(`Roll back ${count} on ${target} to ${to}? [y/N] `))) {
    throw new MigsealError('NOT_CONFIRMED', `Rollback not confirmed; nothing was rolled back on ${target}.`, { details: { plan: planned } });
  }
}

function describePlan(plan: RollbackPlanStep[], target: string, to: string): string {
  const lines = [`rollback plan for ${target}: ${plan.length} down script${plan.length === 1 ? '' : 's'}, newest first, back to ${to}`];
  for (const step of plan) {
    lines.push(`  ${step.version}  ${step.name}  (${step.file})`);
    const script = step.sql.replace(/\n+$/, '').split('\n');
    for (const line of script.slice(0, LIMITS.maxRollbackPlanLines)) lines.push(`      ${line}`);
    if (script.length > LIMITS.maxRollbackPlanLines) lines.push(`      … ${script.length - LIMITS.maxRollbackPlanLines} more lines`);
  }
  return lines.join('\n');
}
