/**
 * Compares a verified bundle with a database's history: what is applied, what is pending
 * (in the order it will run), and what disagrees. Pure: no database, no effects.
 */
import { sha256Hex } from '../format/digest.js';
import { migrationScript } from '../format/migration-script.js';
import type { ManifestMigration } from '../format/manifest.js';
import { scriptText } from './script-text.js';
import { isInSchema, type AppliedMigration, type History } from './history.js';

export interface PlannedMigration {
  migration: ManifestMigration;
  key: string;
  /** Position in the bundle's order. */
  index: number;
  /** SHA-256 of the exact up script bytes. */
  checksum: string;
  script: Buffer;
  /** The script as text for the database (empty for native migrations). */
  sql: string;
  /** The history has a row under this key, in any state (a rolled-back migration, say). */
  recorded: boolean;
}

export interface MigrationPlan {
  applied: Array<{ planned: PlannedMigration; row: AppliedMigration }>;
  /** Versioned migrations in bundle order, then repeatables whose script changed. */
  pending: PlannedMigration[];
  drift: Array<{ planned: PlannedMigration; row: AppliedMigration }>;
  unknownApplied: AppliedMigration[];
  outOfOrder: Array<{ planned: PlannedMigration; newestApplied: PlannedMigration }>;
  dirty: AppliedMigration[];
}

export const migrationKey = (m: ManifestMigration): string => (m.repeatable ? `R:${m.name}` : m.version);

/** The bytes a migration's history checksum covers: its up script, or for native migrations the file their own tool runs. */
export function upScript(migration: ManifestMigration, files: ReadonlyMap<string, Buffer>): Buffer {
  if (migration.runner !== 'native') return migrationScript(migration, 'up', files);
  return (migration.up === undefined ? undefined : files.get(migration.up)) ?? Buffer.alloc(0);
}

export function planMigrations(migrations: readonly ManifestMigration[], files: ReadonlyMap<string, Buffer>, history: History): MigrationPlan {
  const rows = new Map(history.migrations.map((r) => [r.key, r]));
  const planned = migrations.map((migration, index): PlannedMigration => {
    // Native migrations yield no SQL; their checksum is over the file their own tool runs.
    const script = upScript(migration, files);
    const sql = migration.runner === 'native' ? '' : scriptText(script, migration);
    const key = migrationKey(migration);
    return { migration, key, index, checksum: sha256Hex(script), script, sql, recorded: rows.has(key) };
  });
  const inBundle = new Set(planned.map((p) => p.key));
  const plan: MigrationPlan = {
    applied: [],
    pending: [],
    drift: [],
    unknownApplied: history.migrations.filter((r) => isInSchema(r) && !inBundle.has(r.key)),
    outOfOrder: [],
    dirty: history.migrations.filter((r) => r.state === 'dirty'),
  };
  const repeatables: PlannedMigration[] = [];
  let newestApplied: PlannedMigration | undefined;
  for (const p of planned) {
    const row = rows.get(p.key);
    const present = row !== undefined && isInSchema(row);
    if (p.migration.repeatable) {
      if (present && row.checksum === p.checksum) plan.applied.push({ planned: p, row });
      else repeatables.push(p);
    } else if (present) {
      (row.checksum === p.checksum ? plan.applied : plan.drift).push({ planned: p, row });
      newestApplied = p;
    } else if (row?.state !== 'dirty') {
      plan.pending.push(p);
    }
  }
  if (newestApplied) {
    for (const p of plan.pending) if (p.index < newestApplied.index) plan.outOfOrder.push({ planned: p, newestApplied });
  }
  plan.pending.push(...repeatables);
  return plan;
}
