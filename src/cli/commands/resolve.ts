import { MigsealError } from '../../errors.js';
import { resolveMigration } from '../../apply/index.js';
import { AuditTrail } from '../audit-trail.js';
import { databaseUrl, lockTimeoutMs, withDatabase } from '../database.js';
import { requireFlag } from '../parse.js';
import { COMMANDS, type CommandRun } from '../table.js';

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
      const url = databaseUrl(flags, env, cwd);
      target = url.display;
      audit.ensureWritable();
      return withDatabase(url, env, false, (driver) => resolveMigration(driver, { version, as, reason, force, lockTimeoutMs: lockTimeoutMs(flags, env), announce: (run) => audit.started(run) }));
    },
    () => ({ database: target }),
  );
  audit.record({ outcome: 'resolved', database: report.target, from: report.from, runId: report.runId, by: report.by, forced: report.forced });
  return {
    text: [
      `${report.forced ? 'FORCED: ' : ''}resolved migration ${report.version} (${report.name}) on ${report.target}: ${report.from} -> ${report.to}, recorded as ${report.forced ? 'forced by' : 'decided by'} ${report.by}`,
      `next: ${report.next}`,
    ].join('\n'),
    json: { ok: true, ...report, reason },
  };
};
