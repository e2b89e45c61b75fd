import { adoptDatabase, parsePeer } from '../../adopt/index.js';
import type { VerifiedBundle } from '../../verify/index.js';
import { policyFromFlags, verifyFromFlags } from '../verify-from-flags.js';
import { AuditTrail } from '../audit-trail.js';
import { databaseUrl, lockTimeoutMs, withDatabase } from '../database.js';
import type { CommandRun } from '../table.js';
import { provenance } from './apply.js';

export const run: CommandRun = async ({ positionals, flags }, { env, cwd, progress }) => {
  const bundlePath = positionals[0]!;
  const audit = new AuditTrail(flags, env, cwd, { event: 'adopt', command: 'adopt', bundle: bundlePath, from: flags.from ?? null });
  let verified: VerifiedBundle | undefined;
  let target: string | undefined;
  const report = await audit.around(
    async () => {
      const peer = parsePeer(flags.from);
      const url = databaseUrl(flags, env, cwd);
      target = url.display;
      const policy = policyFromFlags(flags, 'adopt');
      audit.ensureWritable();
      progress(`verifying ${bundlePath}`);
      verified = await verifyFromFlags(bundlePath, policy, flags);
      const bundle = verified;
      return withDatabase(url, env, false, (driver) => adoptDatabase(bundle, driver, peer, { lockTimeoutMs: lockTimeoutMs(flags, env) }));
    },
    () => ({ database: target, ...(verified && provenance(verified)) }),
  );
  const v = verified!;
  audit.record({ outcome: 'adopted', database: report.target, ...provenance(v), runId: report.runId, migrations: report.adopted.map((a) => a.version) });
  return {
    text: [
      `verified ${v.manifest.project} release ${v.manifest.release} for environment "${v.environment}"`,
      `adopted ${report.adopted.length} migration${report.adopted.length === 1 ? '' : 's'} that ${report.peer} applied to ${report.target}${report.alreadyRecorded ? ` (${report.alreadyRecorded} already recorded)` : ''}; ${report.pending} pending for migseal apply`,
      ...report.adopted.map((a) => `  ${a.version}  ${a.name}`),
      `${report.peer}'s own table is left as it was: migseal reads it, never writes it.`,
    ].join('\n'),
    json: { ok: true, ...provenance(v), database: report.target, from: report.peer, adopted: report.adopted, alreadyRecorded: report.alreadyRecorded, pending: report.pending, runId: report.runId },
  };
};

