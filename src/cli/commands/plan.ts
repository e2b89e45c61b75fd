import { MigsealError } from '../../errors.js';
import { bundleJson, migrationList } from '../json-shape.js';
import { previewApply, type PreviewReport } from '../../apply/index.js';
import type { VerifiedBundle } from '../../verify/index.js';
import type { CommandRun } from '../table.js';
import { describePeerHistory } from '../../peer-history/index.js';
import { provenance, verifiedDatabaseRun } from '../verified-database-run.js';
import { waitLimitFlags, waitLimits } from '../wait-limits.js';
import { withDefaultWaits } from '../../db/driver.js';

export const run: CommandRun = async ({ positionals, flags }, context) => {
  if (typeof flags.targets === 'string' && flags.to !== undefined) throw new MigsealError('USAGE', '--to goes with one database (--db); a fleet rollout (--targets) applies whole releases.');
  if (typeof flags.targets === 'string') return (await import('./plan-fleet.js')).run({ positionals, flags }, context);
  for (const flag of ['shard', 'parallel']) {
    if (flags[flag] !== undefined) throw new MigsealError('USAGE', `--${flag} goes with --targets FILE (a fleet); a single database is named with --db.`);
  }
  const prepare = (): void => void waitLimitFlags(flags);
  const { verified: v, report, audit } = await verifiedDatabaseRun('plan', positionals[0]!, flags, context, { readOnly: true, prepare }, async (bundle, driver, _trail, policy) => {
    // The reads wait for locks no longer than apply's statements would (reading a view's definition locks its table).
    await driver.limitWaits?.(withDefaultWaits(waitLimits(flags, policy.environments[bundle.environment])));
    return previewApply(bundle, driver, {
      allowUnknownApplied: flags['allow-unknown-applied'] === true,
      peerTableUnrelated: flags['peer-table-unrelated'] === true,
      ...(typeof flags.to === 'string' && { to: flags.to }),
    });
  });
  const { plan } = report;
  const summary = {
    applied: plan.applied.map((a) => a.planned.migration.version),
    pending: plan.pending.map((p) => ({ version: p.migration.version, name: p.migration.name, mode: report.modes[p.key] ?? 'native' })),
    ...(typeof flags.to === 'string' && { to: flags.to, later: report.later.map((p) => ({ version: p.migration.version, name: p.migration.name })) }),
    drift: plan.drift.map((d) => ({ version: d.planned.migration.version, applied: d.row.checksum, bundle: d.planned.checksum })),
    unknownApplied: plan.unknownApplied.map((m) => m.version),
    outOfOrder: plan.outOfOrder.map((o) => o.planned.migration.version),
    dirty: plan.dirty.map((m) => m.version),
    liveSchema: report.liveSchema
      ? { recorded: report.liveSchema.recorded.sha256, live: report.liveSchema.live.sha256, drifted: report.liveSchema.drifted, ...report.liveSchema.difference }
      : null,
  };
  audit.record({ outcome: report.refusal ? 'would-refuse' : 'planned', database: report.target, ...provenance(v), pending: summary.pending.map((p) => p.version), refusal: report.refusal?.code });
  return {
    text: describe(v, report),
    json: { ok: report.refusal === undefined, ...provenance(v), bundle: bundleJson(positionals[0], v.digest, v.manifest, true), database: report.target, migrations: migrationList(summary.pending), ...summary, peerHistory: v.manifest.peerHistory ?? null, refusal: report.refusal ?? null, findings: v.findings },
    ...(report.refusal && { exitCode: 2 }),
  };
};

function describe(v: VerifiedBundle, report: PreviewReport): string {
  const { plan } = report;
  const lines = [`plan for ${v.manifest.project} release ${v.manifest.release} (sha256:${v.digest.slice(0, 16)}…) on ${report.target} (nothing was changed)`];
  for (const a of plan.applied) lines.push(`  applied   ${a.planned.migration.version}  ${a.planned.migration.name}`);
  for (const d of plan.drift) lines.push(`  DRIFT     ${d.planned.migration.version}  ${d.planned.migration.name}  (applied ${d.row.checksum.slice(0, 12)}…, bundle ${d.planned.checksum.slice(0, 12)}…)`);
  for (const m of plan.unknownApplied) lines.push(`  UNKNOWN   ${m.version}  ${m.name}  (applied, not in this bundle)`);
  for (const m of plan.dirty) lines.push(`  DIRTY     ${m.version}  ${m.name}`);
  for (const p of plan.pending) {
    const mode = report.modes[p.key];
    lines.push(`  pending   ${p.migration.version}  ${p.migration.name}${mode === 'outside' ? '  (outside a transaction)' : mode === undefined ? '  (native tool only)' : ''}${p.migration.up === undefined ? '  (empty up: only a down script)' : ''}`);
  }
  for (const p of report.later) lines.push(`  later     ${p.migration.version}  ${p.migration.name}  (after --to; stays pending)`);
  const live = report.liveSchema;
  if (live) lines.push(`  live schema  ${live.drifted ? `DRIFTED from the fingerprint recorded ${live.recorded.recordedAt} (see migseal drift)` : `matches the fingerprint recorded ${live.recorded.recordedAt}`} (sha256:${live.live.sha256.slice(0, 16)}…)`);
  if (report.schemaWarning) lines.push(`warning: ${report.schemaWarning}`);
  if (v.manifest.peerHistory) lines.push(`  peer table  ${describePeerHistory(v.manifest.peerHistory)}`);
  for (const f of v.findings) lines.push(`  finding   ${f.finding.file}:${f.finding.line}  ${f.finding.rule}: ${f.action === 'allow' ? 'allowed' : 'approved'} (by ${f.because})`);
  if (report.refusal) lines.push(`apply would refuse: ${report.refusal.code}: ${report.refusal.message}`);
  else if (plan.pending.length === 0) lines.push(report.later.length > 0 ? 'apply --to would do nothing: every migration up to it is applied' : 'apply would do nothing: the database is up to date');
  else lines.push(`apply${report.later.length > 0 ? ' --to' : ''} would run ${plan.pending.length} migration${plan.pending.length === 1 ? '' : 's'}${report.later.length > 0 ? `, leaving ${report.later.length} pending` : ''}`);
  return lines.join('\n');
}
