import { MigsealError } from '../../errors.js';
import { resolveMigration } from '../../apply/index.js';
import { AuditTrail } from '../audit-trail.js';
import { databaseUrl, lockTimeoutMs, withDatabase } from '../database.js';
import { requireFlag } from '../parse.js';
import { policyFromFlags, verifyFromFlags } from '../verify-from-flags.js';
import { COMMANDS, type CommandRun } from '../table.js';
import { waitLimitFlags } from '../wait-limits.js';

export const run: CommandRun = async ({ flags }, { env, cwd }) => {
  const usage = COMMANDS.resolve!.usage;
  const version = requireFlag(flags, 'version', usage);
  const as = requireFlag(flags, 'as', usage);
  const reason = requireFlag(flags, 'reason', usage);
  const force = flags.force === true;
  const audit = new AuditTrail(flags, env, cwd, { event: 'resolve', command: 'resolve', version, as, reason, ...(force && { force: true }) });
  let target: string | undefined;
  const report = await audit.around(
    async () => {
      if (as !== 'applied' && as !== 'rolled-back') throw new MigsealError('USAGE', `--as takes applied or rolled-back, not "${as}". Usage: ${usage}`);
      if (typeof flags.bundle === 'string' && typeof flags.trust !== 'string') throw new MigsealError('USAGE', `--bundle needs --trust: resolve reads only a verified bundle. Usage: ${usage}`);
      const url = databaseUrl(flags, env, cwd);
      target = url.display;
      const waits = waitLimitFlags(flags);
      audit.ensureWritable();
      // The bundle that ran the migration names the peer table it kept (signed): verified before anything changes,
      // its findings judged for this database as apply judged them.
      const verified = typeof flags.bundle === 'string' ? await verifyFromFlags(flags.bundle, policyFromFlags(flags, 'resolve'), flags, { dialect: url.dialect, direction: 'up' }) : undefined;
      const bundle = verified && { digest: verified.digest, peerHistory: verified.manifest.peerHistory };
      return withDatabase(url, env, false, (driver) => resolveMigration(driver, { version, as, reason, force, ...(bundle && { bundle }), lockTimeoutMs: lockTimeoutMs(flags, env), waitLimits: waits, announce: (run) => audit.started(run) }), undefined, waits);
    },
    () => ({ database: target }),
  );
  audit.record({ outcome: 'resolved', database: report.target, from: report.from, runId: report.runId, by: report.by, forced: report.forced });
  return {
    text: [
      `${report.forced ? 'FORCED: ' : ''}resolved migration ${report.version} (${report.name}) on ${report.target}: ${report.from} -> ${report.to}, recorded as ${report.forced ? 'forced by' : 'decided by'} ${report.by}`,
      ...report.peerTables.map((p) => `peer table: ${p.tool}'s ${p.table} settled as ${p.tool} would`),
      `next: ${report.next}`,
    ].join('\n'),
    json: { ok: true, ...report, reason },
  };
};
