import { rollbackBundle } from '../../apply/index.js';
import type { VerifiedBundle } from '../../verify/index.js';
import { policyFromFlags, verifyFromFlags } from '../verify-from-flags.js';
import { AuditTrail } from '../audit-trail.js';
import { databaseUrl, lockTimeoutMs, withDatabase } from '../database.js';
import { requireFlag } from '../parse.js';
import { COMMANDS, type CommandRun } from '../table.js';
import { provenance } from './apply.js';

export const run: CommandRun = async ({ positionals, flags }, { env, cwd, progress }) => {
  const usage = COMMANDS.rollback!.usage;
  const bundlePath = positionals[0]!;
  const audit = new AuditTrail(flags, env, cwd, { event: 'rollback', command: 'rollback', bundle: bundlePath });
  let verified: VerifiedBundle | undefined;
  let target: string | undefined;
  const to = requireFlag(flags, 'to', usage);
  const report = await audit.around(
    async () => {
      const url = databaseUrl(flags, env, cwd);
      target = url.display;
      const policy = policyFromFlags(flags, 'rollback');
      audit.ensureWritable();
      progress(`verifying ${bundlePath}`);
      verified = await verifyFromFlags(bundlePath, policy, flags);
      const bundle = verified;
      return withDatabase(url, env, false, (driver) =>
        rollbackBundle(bundle, driver, { to, allowUnknownApplied: flags['allow-unknown-applied'] === true, lockTimeoutMs: lockTimeoutMs(flags, env), progress }),
      );
    },
    () => ({ database: target, to, ...(verified && provenance(verified)) }),
  );
  const v = verified!;
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
