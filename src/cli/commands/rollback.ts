import { rollbackBundle } from '../../apply/index.js';
import { lockTimeoutMs } from '../database.js';
import { waitLimitFlags, waitLimits } from '../wait-limits.js';
import { requireFlag } from '../parse.js';
import { COMMANDS, type CommandRun } from '../table.js';
import { provenance, verifiedDatabaseRun } from '../verified-database-run.js';

export const run: CommandRun = async ({ positionals, flags }, context) => {
  const { env, progress } = context;
  const to = requireFlag(flags, 'to', COMMANDS.rollback!.usage);
  const { verified: v, report, audit } = await verifiedDatabaseRun('rollback', positionals[0]!, flags, context, { readOnly: false, audit: { to }, direction: 'down', prepare: () => void waitLimitFlags(flags) }, (bundle, driver, trail, policy) =>
    rollbackBundle(bundle, driver, {
      waitLimits: waitLimits(flags, policy.environments[bundle.environment]),
      to,
      allowUnknownApplied: flags['allow-unknown-applied'] === true,
      lockTimeoutMs: lockTimeoutMs(flags, env),
      progress,
      announce: (run) => trail.started(run, provenance(bundle)),
    }),
  );
  audit.record({ outcome: 'rolled-back', database: report.target, to, ...provenance(v), runId: report.runId, migrations: report.rolledBack.map((r) => r.version) });
  const text =
    report.rolledBack.length === 0
      ? `${report.target} has nothing applied after ${to}; nothing to roll back`
      : [
          `verified ${v.manifest.project} release ${v.manifest.release} (sha256:${v.digest.slice(0, 16)}…)`,
          `rolled back ${report.rolledBack.length} migration${report.rolledBack.length === 1 ? '' : 's'} on ${report.target}, newest first, to ${to}`,
          ...report.rolledBack.map((r) => `  ${r.version}  ${r.name}  ${r.durationMs} ms`),
        ].join('\n');
  return { text, json: { ok: true, ...provenance(v), database: report.target, to, runId: report.runId, rolledBack: report.rolledBack } };
};
