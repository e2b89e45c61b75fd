import { adoptDatabase, parsePeer } from '../../adopt/index.js';
import { bundleJson, migrationList } from '../json-shape.js';
import { lockTimeoutMs } from '../database.js';
import type { AdoptReport } from '../../adopt/index.js';
import type { CommandRun } from '../table.js';
import { provenance, verifiedDatabaseRun } from '../verified-database-run.js';
import { waitLimitFlags, waitLimits } from '../wait-limits.js';

export const run: CommandRun = async ({ positionals, flags }, context) => {
  let peer!: ReturnType<typeof parsePeer>;
  const { verified: v, report, audit } = await verifiedDatabaseRun(
    'adopt',
    positionals[0]!,
    flags,
    context,
    { readOnly: false, audit: { from: flags.from ?? null }, prepare: () => { peer = parsePeer(flags.from); waitLimitFlags(flags); } },
    (bundle, driver, trail, policy) => adoptDatabase(bundle, driver, peer, { lockTimeoutMs: lockTimeoutMs(flags, context.env), waitLimits: waitLimits(flags, policy.environments[bundle.environment]), announce: (run) => trail.started(run, provenance(bundle)) }),
  );
  audit.record({ outcome: 'adopted', database: report.target, ...provenance(v), runId: report.runId, migrations: report.adopted.map((a) => a.version) });
  return {
    text: [
      `verified ${v.manifest.project} release ${v.manifest.release} for environment "${v.environment}"`,
      report.adopted.length === 0 && report.alreadyRecorded === 0
        ? `${report.peer}'s history in ${report.target} records no migration: nothing adopted; the takeover is recorded, so migseal apply runs all ${report.pending}`
        : `adopted ${report.adopted.length} migration${report.adopted.length === 1 ? '' : 's'} that ${report.peer} applied to ${report.target}${report.alreadyRecorded ? ` (${report.alreadyRecorded} already recorded)` : ''}; ${report.pending} pending for migseal apply`,
      ...report.adopted.map((a) => `  ${a.version}  ${a.name}`),
      peerTableLine(report),
    ].join('\n'),
    json: { ok: true, ...provenance(v), bundle: bundleJson(positionals[0], v.digest, v.manifest, true), database: report.target, migrations: migrationList(report.adopted), from: report.peer, adopted: report.adopted, alreadyRecorded: report.alreadyRecorded, pending: report.pending, runId: report.runId, peerTable: report.peerTable },
  };
};


/** What becomes of the peer's table: adopt only read it; later runs write it only when the bundle keeps it. */
function peerTableLine({ peer, peerTable }: AdoptReport): string {
  return peerTable.kept
    ? `${peer}'s table ${peerTable.name} is as it was: adopt only read it; this bundle keeps it, so apply, rollback and resolve write it in step with each migration, as ${peer} would.`
    : `${peer}'s table ${peerTable.name} is as it was: adopt only read it, and this bundle does not keep it, so no migseal run writes it.`;
}
