/**
 * `migseal status` as one line per migration, like `flyway info` and `atlas migrate status`:
 * version, name, state, applied at, by, and whether the recorded checksum matches the bundle.
 */
import type { AppliedMigration, History } from '../apply/history.js';
import type { MigrationPlan } from '../apply/plan.js';

export interface StatusRow {
  version: string;
  name: string;
  /** applied, adopted, rolled-back, dirty; or pending (in the bundle, not applied here). */
  state: AppliedMigration['state'] | 'pending';
  release: string | null;
  appliedAt: string | null;
  appliedBy: string | null;
  checksum: string | null;
  /** true/false against the bundle; null without a bundle, or for a migration it does not hold. */
  checksumMatch: boolean | null;
}

/** `bundleChecksum`: every migration of the bundle at hand, by key (empty without one). */
export function statusRows(history: History, plan: MigrationPlan | undefined, bundleChecksum: ReadonlyMap<string, string>): StatusRow[] {
  const rows: StatusRow[] = history.migrations.map((m) => {
    const expected = bundleChecksum.get(m.key);
    return {
      version: m.version,
      name: m.name,
      state: m.state,
      release: m.release,
      appliedAt: m.appliedAt,
      appliedBy: m.appliedBy,
      checksum: m.checksum,
      checksumMatch: expected === undefined ? null : expected === m.checksum,
    };
  });
  const recorded = new Set(history.migrations.filter((m) => m.state !== 'rolled-back').map((m) => m.key));
  for (const p of plan?.pending ?? []) {
    if (recorded.has(p.key)) continue;
    rows.push({ version: p.migration.version, name: p.migration.name, state: 'pending', release: null, appliedAt: null, appliedBy: null, checksum: p.checksum, checksumMatch: null });
  }
  return rows;
}

export function renderStatusRows(rows: readonly StatusRow[], withBundle: boolean): string[] {
  const header = ['VERSION', 'NAME', 'STATE', 'APPLIED AT', 'BY', 'CHECKSUM'];
  const cells = rows.map((r) => [
    r.version,
    r.name,
    r.state === 'dirty' ? 'DIRTY' : r.state,
    r.appliedAt ?? '-',
    r.appliedBy ?? '-',
    r.checksumMatch === null ? (withBundle && r.state !== 'pending' ? 'not in bundle' : r.checksum ? `${r.checksum.slice(0, 12)}…` : '-') : r.checksumMatch ? 'match' : 'DRIFT',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => `  ${c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!))).join('  ')}`;
  return [line(header), ...cells.map(line)];
}
