import { acceptSchemaDrift } from '../../apply/accept-drift.js';
import { readHistory } from '../../apply/index.js';
import { describeUnrecorded, readLiveSchema, type LiveSchema } from '../../apply/live-schema.js';
import { MigsealError } from '../../errors.js';
import { objectLabel, type FingerprintDifference } from '../../fingerprint/index.js';
import { AuditTrail } from '../audit-trail.js';
import { databaseUrl, lockTimeoutMs, withDatabase } from '../database.js';
import { COMMANDS, type CommandRun } from '../table.js';
import { waitLimitFlags } from '../wait-limits.js';

/**
 * Exit 0: the live schema is the one the last run recorded; 2 (SCHEMA_DRIFTED): it is not, with every difference;
 * 2 (SCHEMA_UNRECORDED): it is not, and a later run wrote migrations without recording the schema it left.
 */
export const run: CommandRun = async (args, context) => {
  if (args.flags.accept === true) return accept(args, context);
  if (args.flags.reason !== undefined) throw new MigsealError('USAGE', `--reason goes with --accept. Usage: ${COMMANDS.drift!.usage}`);
  const { flags } = args;
  const { env, cwd } = context;
  const url = databaseUrl(flags, env, cwd);
  const waits = waitLimitFlags(flags);
  const live = await withDatabase(url, env, true, async (driver) => readLiveSchema(driver, await readHistory(driver)), undefined, waits);
  if (!live) {
    throw new MigsealError('USAGE', `${url.display} has no recorded schema fingerprint to compare with: no migseal run has recorded one yet (the next apply, rollback or resolve records one).`);
  }
  if (live.drifted && live.unrecorded) {
    // Not called drift: the schema a later run left was never recorded, so drift cannot be told apart from its work.
    const why = `the live schema of ${url.display} differs from the fingerprint recorded ${live.recorded.recordedAt} by run ${live.recorded.runId}, and ${describeUnrecorded(live.unrecorded)}; check each difference below, then record the schema as it is with --accept --reason TEXT`;
    return { text: [`SCHEMA_UNRECORDED: ${why}`, ...describe(live.difference)].join('\n'), json: { ok: false, code: 'SCHEMA_UNRECORDED', database: url.display, unrecorded: live.unrecorded, message: why, ...summary(live) }, exitCode: 2 };
  }
  const json = { ok: !live.drifted, ...(live.drifted && { code: 'SCHEMA_DRIFTED' }), database: url.display, ...summary(live) };
  if (!live.drifted) {
    return { text: `the live schema of ${url.display} matches the fingerprint recorded ${live.recorded.recordedAt} by run ${live.recorded.runId} (sha256:${live.live.sha256.slice(0, 16)}…, ${live.live.objects.length} objects)`, json };
  }
  return { text: [`SCHEMA_DRIFTED: the live schema of ${url.display} is not the one migseal recorded ${live.recorded.recordedAt} by run ${live.recorded.runId}`, ...describe(live.difference)].join('\n'), json, exitCode: 2 };
};

const accept: CommandRun = async ({ flags }, { env, cwd }) => {
  const reason = typeof flags.reason === 'string' ? flags.reason : '';
  if (reason.trim() === '') throw new MigsealError('USAGE', `drift --accept needs a --reason saying why the change is intended. Usage: ${COMMANDS.drift!.usage}`);
  const audit = new AuditTrail(flags, env, cwd, { event: 'accept-drift', command: 'drift', reason });
  let target: string | undefined;
  const report = await audit.around(
    async () => {
      const url = databaseUrl(flags, env, cwd);
      target = url.display;
      const waits = waitLimitFlags(flags);
      audit.ensureWritable();
      return withDatabase(url, env, false, (driver) => acceptSchemaDrift(driver, { reason, lockTimeoutMs: lockTimeoutMs(flags, env), waitLimits: waits, announce: (run) => audit.started(run) }), undefined, waits);
    },
    () => ({ database: target }),
  );
  audit.record({ outcome: 'drift-accepted', database: report.target, runId: report.runId, by: report.by, recorded: report.accepted.recorded.sha256, live: report.accepted.live.sha256 });
  return {
    text: [`accepted the live schema of ${report.target} as intended, recorded by ${report.by} in run ${report.runId} (sha256:${report.accepted.live.sha256.slice(0, 16)}…)`, ...describe(report.accepted.difference)].join('\n'),
    json: { ok: true, database: report.target, runId: report.runId, by: report.by, reason, ...summary(report.accepted) },
  };
};

function summary(live: LiveSchema) {
  return { recorded: { runId: live.recorded.runId, recordedAt: live.recorded.recordedAt, sha256: live.recorded.sha256 }, live: live.live.sha256, drifted: live.drifted, ...live.difference };
}

/** Object by object, both definitions for a changed one. */
function describe(d: FingerprintDifference): string[] {
  return [
    ...d.added.map((o) => `  added    ${objectLabel(o)}\n           ${o.definition}`),
    ...d.removed.map((o) => `  removed  ${objectLabel(o)}\n           was ${o.definition}`),
    ...d.changed.map((c) => `  changed  ${objectLabel(c)}\n           was ${c.before}\n           now ${c.after}`),
  ];
}
