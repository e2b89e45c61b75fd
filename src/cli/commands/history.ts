import { chainLine, readHistory, type AppliedMigration, type RunRecord } from '../../apply/index.js';
import { describePartial, releaseState } from '../../apply/release-state.js';
import { databaseUrl, withDatabase } from '../database.js';
import type { CommandRun } from '../table.js';
import { waitLimitFlags } from '../wait-limits.js';

export const run: CommandRun = async ({ flags }, { env, cwd }) => {
  const url = databaseUrl(flags, env, cwd);
  const waits = waitLimitFlags(flags);
  const history = await withDatabase(url, env, true, (driver) => readHistory(driver), undefined, waits);
  const runs = history.runs;
  const state = releaseState(history);
  const text = !history.exists
    ? `${url.display} has no migseal history: nothing was ever applied here by migseal`
    : [
        `history of ${url.display}${history.marker ? `: project ${history.marker.project}` : ''}: ${state.complete ? `release ${state.complete.release} (sha256:${state.complete.bundleDigest.slice(0, 16)}…)` : 'no release wholly applied'}${state.partial ? `; ${describePartial(state.partial)}` : ''}`,
        `chain: ${chainLine(history)}`,
        'runs:',
        ...runs.map(describeRun),
        'migrations:',
        ...history.migrations.map(describeMigration),
      ].join('\n');
  return { text, json: { ok: true, database: url.display, exists: history.exists, release: state.complete ?? null, partial: state.partial ?? null, chain: history.chain ?? null, runs, migrations: history.migrations } };
};

function describeRun(r: RunRecord): string {
  const what = r.command === 'resolve' ? `resolve ${r.reason ?? ''}` : `${r.command} ${r.project ?? '?'} release ${r.release ?? '?'} (sha256:${(r.bundleDigest ?? '').slice(0, 16)}…)`;
  const lines = [`  ${r.startedAt}  ${what}  ${r.outcome}`, `      by ${r.osUser}@${r.host}${r.environment ? `, environment ${r.environment}` : ''}${r.signers.length ? `, signed by ${r.signers.join(', ')}` : ''}`];
  if (r.error) lines.push(`      error: ${r.error}`);
  return lines.join('\n');
}

function describeMigration(m: AppliedMigration): string {
  return `  ${m.version}  ${m.name}  ${m.state}  release ${m.release}  ${m.appliedAt}  ${m.appliedBy}  ${m.durationMs} ms  sha256:${m.checksum.slice(0, 12)}…${m.note ? `  (${m.note})` : ''}`;
}
