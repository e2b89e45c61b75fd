import { decodeBundle } from '../../format/bundle-archive.js';
import { sha256Hex } from '../../format/digest.js';
import { parseManifest } from '../../format/manifest.js';
import { readHistory, readRuns } from '../../apply/index.js';
import { planMigrations } from '../../apply/plan.js';
import { loadTrustPolicy } from '../../trust/policy.js';
import { verifyBundle } from '../../verify/index.js';
import { databaseUrl, withDatabase } from '../database.js';
import { readInput } from '../io.js';
import type { CommandRun } from '../table.js';

export const run: CommandRun = async ({ flags }, { env, cwd }) => {
  const url = databaseUrl(flags, env, cwd);
  const bundle = typeof flags.bundle === 'string' ? await readBundle(flags.bundle, flags) : undefined;
  const { history, runs } = await withDatabase(url, env, true, async (driver) => ({ history: await readHistory(driver), runs: await readRuns(driver) }));
  const count = (state: string) => history.migrations.filter((m) => m.state === state).length;
  const dirty = history.migrations.filter((m) => m.state === 'dirty');
  const last = runs.at(-1);
  const plan = bundle && planMigrations(bundle.manifest.migrations, bundle.files, history);
  const lines = [
    `${url.display}: ${!history.exists ? 'no migseal history (nothing applied)' : history.marker ? `project ${history.marker.project}, release ${history.marker.release} (${history.marker.dialect})` : 'history without a release'}`,
    `  migrations  ${count('applied')} applied, ${count('adopted')} adopted, ${count('rolled-back')} rolled back, ${dirty.length} dirty`,
    ...dirty.map((m) => `  DIRTY       ${m.version} ${m.name}: ${m.note ?? ''} (run migseal resolve)`),
    ...(last ? [`  last run    ${last.command} ${last.outcome} at ${last.startedAt} by ${last.osUser}@${last.host}`] : []),
  ];
  if (bundle && plan) {
    lines.push(`  bundle      ${bundle.manifest.project} release ${bundle.manifest.release}${bundle.verified ? ' (verified)' : ' (NOT verified: pass --trust to verify)'}`);
    lines.push(`  pending     ${plan.pending.length === 0 ? 'none' : plan.pending.map((p) => p.migration.version).join(', ')}`);
    if (plan.drift.length) lines.push(`  DRIFT       ${plan.drift.map((d) => d.planned.migration.version).join(', ')}`);
  }
  return {
    text: lines.join('\n'),
    json: {
      database: url.display,
      exists: history.exists,
      release: history.marker ?? null,
      counts: { applied: count('applied'), adopted: count('adopted'), rolledBack: count('rolled-back'), dirty: dirty.length },
      dirty: dirty.map((m) => ({ version: m.version, name: m.name, note: m.note })),
      lastRun: last ?? null,
      ...(bundle &&
        plan && {
          bundle: { project: bundle.manifest.project, release: bundle.manifest.release, digest: bundle.digest, verified: bundle.verified },
          pending: plan.pending.map((p) => p.migration.version),
          drift: plan.drift.map((d) => d.planned.migration.version),
        }),
    },
  };
};

/** The bundle to compare with: verified when --trust is given, else only read (and said so). */
async function readBundle(path: string, flags: Record<string, unknown>) {
  const bytes = readInput(path, 'bundle');
  if (typeof flags.trust === 'string') {
    const v = await verifyBundle(bytes, { policy: loadTrustPolicy(flags.trust), ...(typeof flags.env === 'string' && { environment: flags.env }) });
    return { manifest: v.manifest, files: v.files, digest: v.digest, verified: true };
  }
  const contents = await decodeBundle(bytes);
  return { manifest: parseManifest(contents.manifestBytes), files: contents.files, digest: sha256Hex(contents.manifestBytes), verified: false };
}
