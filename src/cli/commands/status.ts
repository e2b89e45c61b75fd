import { decodeBundle } from '../../format/bundle-archive.js';
import { bundleJson, migrationList } from '../json-shape.js';
import { sha256Hex } from '../../format/digest.js';
import { parseManifest, type Manifest } from '../../format/manifest.js';
import type { AppliedMigration } from '../../apply/history.js';
import { customPeerTable } from '../../peer-history/index.js';
import { chainLine, readHistory } from '../../apply/index.js';
import { migrationKey, planMigrations, upScript } from '../../apply/plan.js';
import { describePartial, releaseState } from '../../apply/release-state.js';
import { invalidIndexes } from '../../apply/invalid-indexes.js';
import { renderStatusRows, statusRows } from '../status-table.js';
import { databaseUrl, withDatabase } from '../database.js';
import { readInput } from '../io.js';
import type { CommandRun } from '../table.js';
import { waitLimitFlags, waitLimits } from '../wait-limits.js';

export const run: CommandRun = async ({ flags }, { env, cwd }) => {
  const url = databaseUrl(flags, env, cwd);
  waitLimitFlags(flags); // a wrong value is a usage error before the bundle is read
  const bundle = typeof flags.bundle === 'string' ? await readBundle(flags.bundle, flags) : undefined;
  // The flags, else (with a verified bundle) its environment's pgLockTimeout and pgStatementTimeout, as apply takes them.
  const waits = waitLimits(flags, bundle?.rule);
  const { history, invalid } = await withDatabase(url, env, true, async (driver) => ({ history: await readHistory(driver), invalid: await invalidIndexes(driver) }), undefined, waits);
  const runs = history.runs;
  const count = (state: string) => history.migrations.filter((m) => m.state === state).length;
  const dirty = history.migrations.filter((m) => m.state === 'dirty');
  const last = runs.at(-1);
  const plan = bundle && planMigrations(bundle.manifest.migrations, bundle.files, history);
  const state = releaseState(history, bundle && { release: bundle.manifest.release, versions: bundle.manifest.migrations.filter((m) => !m.repeatable).map((m) => m.version) });
  const checksums = new Map(bundle?.manifest.migrations.map((m) => [migrationKey(m), sha256Hex(upScript(m, bundle.files))]) ?? []);
  const rows = statusRows(history, plan, checksums);
  // What a health check needs to know: a dirty migration, or a history that disagrees with the bundle.
  const problems = [
    ...dirty.map((m) => `migration ${m.version} (${m.name}) is dirty: inspect the schema, then ${resolveHint(m, bundle && { ...bundle, path: flags.bundle as string }, flags)}`),
    ...(plan?.drift ?? []).map((d) => `migration ${d.planned.migration.version} (${d.planned.migration.name}) was applied with other bytes than the bundle's (drift)`),
    ...(plan?.unknownApplied ?? []).map((m) => `migration ${m.version} (${m.name}) is applied here but not in the bundle`),
    ...(plan?.outOfOrder ?? []).map((o) => `migration ${o.planned.migration.version} is pending but ordered before ${o.newestApplied.migration.version}, already applied`),
    ...invalid.map((i) => `index ${i.name} on ${i.table} is INVALID (a failed CREATE INDEX CONCURRENTLY leaves one, and a new attempt fails with "already exists"): run ${i.drop}`),
  ];
  const release = !history.exists
    ? 'no migseal history (nothing applied)'
    : state.complete
      ? `project ${state.complete.project}, release ${state.complete.release} (${state.complete.dialect})`
      : 'no release wholly applied';
  const lines = [
    `${url.display}: ${release}`,
    ...(state.partial ? [`  partly      ${describePartial(state.partial)}`] : []),
    `  migrations  ${count('applied')} applied, ${count('adopted')} adopted, ${count('rolled-back')} rolled back, ${dirty.length} dirty${plan ? `, ${plan.pending.length} pending` : ''}`,
    ...(history.exists ? [`  chain       ${chainLine(history)}`] : []),
    ...(last ? [`  last run    ${last.command} ${last.outcome} at ${last.startedAt} by ${last.osUser}@${last.host}`] : []),
  ];
  if (bundle) lines.push(`  bundle      ${bundle.manifest.project} release ${bundle.manifest.release}${bundle.verified ? ' (verified)' : ' (NOT verified: pass --trust to verify)'}`);
  if (rows.length > 0) lines.push(...renderStatusRows(rows, bundle !== undefined));
  for (const p of problems) lines.push(`  PROBLEM     ${p}`);
  return {
    text: lines.join('\n'),
    json: {
      ok: problems.length === 0,
      database: url.display,
      exists: history.exists,
      release: state.complete ?? null,
      partial: state.partial ? { ...state.partial, text: describePartial(state.partial) } : null,
      counts: { applied: count('applied'), adopted: count('adopted'), rolledBack: count('rolled-back'), dirty: dirty.length },
      migrations: rows,
      dirty: dirty.map((m) => ({ version: m.version, name: m.name, note: m.note })),
      invalidIndexes: invalid,
      problems,
      lastRun: last ?? null,
      chain: history.chain ?? null,
      ...(bundle &&
        plan && {
          bundle: bundleJson(flags.bundle as string, bundle.digest, bundle.manifest, bundle.verified),
          pending: plan.pending.map((p) => p.migration.version),
          drift: plan.drift.map((d) => d.planned.migration.version),
        }),
    },
    // A health check can call status: a dirty or inconsistent database, or an INVALID index, exits 2.
    ...(problems.length > 0 && { exitCode: 2 }),
  };
};

/**
 * The resolve to run for a dirty migration. A release that keeps its peer tool's table under a custom name needs
 * its bundle, so that table is settled too (as apply's failure says): named exactly when the bundle given is the
 * one that ran the migration, said as a condition when status cannot tell.
 */
function resolveHint(m: AppliedMigration, bundle: { path: string; digest: string; manifest: Manifest } | undefined, flags: Record<string, unknown>): string {
  const resolve = `migseal resolve --version ${m.version} --as applied|rolled-back --reason "..."`;
  if (!bundle || bundle.digest !== m.bundleDigest) return `${resolve} (with --bundle BUNDLE --trust FILE when its release keeps the peer tool's table under a custom name, so that table is settled too)`;
  const table = customPeerTable(bundle.manifest.peerHistory);
  return table ? `${resolve} --bundle ${bundle.path} --trust ${typeof flags.trust === 'string' ? flags.trust : 'FILE'} (so that ${table} is settled too)` : resolve;
}

/** The bundle to compare with: verified when --trust is given, else only read (and said so). */
async function readBundle(path: string, flags: Record<string, unknown>) {
  const bytes = readInput(path, 'bundle');
  if (typeof flags.trust === 'string') {
    // Loaded only here: status without --trust (a health check, a look at the history) does not load the verifier.
    const [{ verifyBundle }, { loadTrustPolicy }] = await Promise.all([import('../../verify/index.js'), import('../../trust/policy.js')]);
    const policy = loadTrustPolicy(flags.trust);
    const v = await verifyBundle(bytes, { policy, ...(typeof flags.env === 'string' && { environment: flags.env }) });
    return { manifest: v.manifest, files: v.files, digest: v.digest, verified: true, rule: policy.environments[v.environment] };
  }
  const contents = await decodeBundle(bytes);
  return { manifest: parseManifest(contents.manifestBytes), files: contents.files, digest: sha256Hex(contents.manifestBytes), verified: false };
}
