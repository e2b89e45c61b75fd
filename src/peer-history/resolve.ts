/**
 * `migseal resolve` and the peer's table: resolve works from the database alone (no bundle),
 * so it settles the peer row the failed run left behind, as the peer's own command would:
 *   golang-migrate, a dirty (V, true) row: `migrate force V` (applied) or force to the version
 *     migseal applied before V (rolled back);
 *   Prisma, an unfinished row for V: `prisma migrate resolve --applied` (the row marked rolled
 *     back and a finished row added, applied_steps_count 0, logs '') or `--rolled-back`;
 *   Flyway, a failed row for V: marked successful (applied), or removed as `flyway repair` does
 *     (rolled back);
 *   dbmate and Diesel record nothing for a failure: applied adds V's row, when their table is
 *     kept (it holds rows).
 * Only the tools' default table names are looked for.
 */
import { randomUUID } from 'node:crypto';
import type { Driver, Row } from '../db/driver.js';

export interface PeerResolution {
  tool: string;
  table: string;
}

export async function resolvePeerHistory(driver: Driver, version: string, as: 'applied' | 'rolled-back', earlierVersions: string[]): Promise<PeerResolution[]> {
  const done: PeerResolution[] = [];
  const q = (name: string) => (driver.dialect === 'postgres' ? driver.sessionTable(`"${name}"`) : `"${name}"`);
  const has = (name: string) => driver.hasTable(driver.dialect === 'postgres' ? q(name) : name);
  const rows = (sql: string, params: unknown[] = []): Promise<Row[]> => driver.query(sql, params);
  const bool = (v: boolean) => (driver.dialect === 'postgres' ? v : v ? 1 : 0);
  const now = new Date().toISOString();

  if (await has('schema_migrations')) {
    const t = q('schema_migrations');
    const columns = driver.dialect === 'postgres'
      ? (await rows(`SELECT attname AS name FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped`, [t])).map((r) => String(r.name))
      : (await rows(`SELECT name FROM pragma_table_info('schema_migrations')`)).map((r) => String(r.name));
    if (columns.includes('dirty')) {
      const current = (await rows(`SELECT version, dirty FROM ${t}`))[0];
      if (current && String(current.version) === BigInt(version).toString() && (current.dirty === true || current.dirty === 1)) {
        const to = as === 'applied' ? version : earlierVersions[earlierVersions.length - 1];
        await rows(driver.dialect === 'postgres' ? `TRUNCATE ${t}` : `DELETE FROM ${t}`);
        if (to !== undefined) await rows(`INSERT INTO ${t} (version, dirty) VALUES (?, ?)`, [BigInt(to).toString(), bool(false)]);
        done.push({ tool: 'golang-migrate', table: 'schema_migrations' });
      }
    } else if (as === 'applied' && (await rows(`SELECT 1 FROM ${t} LIMIT 1`)).length > 0) {
      await rows(`INSERT INTO ${t} (version) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM ${t} WHERE version = ?)`, [version, version]);
      done.push({ tool: 'dbmate', table: 'schema_migrations' });
    }
  }
  if (as === 'applied' && (await has('__diesel_schema_migrations'))) {
    const t = q('__diesel_schema_migrations');
    if ((await rows(`SELECT 1 FROM ${t} LIMIT 1`)).length > 0) {
      await rows(`INSERT INTO ${t} (version) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM ${t} WHERE version = ?)`, [version, version]);
      done.push({ tool: 'diesel', table: '__diesel_schema_migrations' });
    }
  }
  if (await has('_prisma_migrations')) {
    const t = q('_prisma_migrations');
    const failed = await rows(`SELECT id, checksum FROM ${t} WHERE migration_name = ? AND finished_at IS NULL AND rolled_back_at IS NULL`, [version]);
    for (const row of failed) await rows(`UPDATE ${t} SET rolled_back_at = ? WHERE id = ?`, [now, row.id]);
    if (failed.length > 0 && as === 'applied') {
      await rows(`INSERT INTO ${t} (id, checksum, logs, started_at, finished_at, migration_name) VALUES (?, ?, '', ?, ?, ?)`, [randomUUID(), failed[0]!.checksum, now, now, version]);
    }
    if (failed.length > 0) done.push({ tool: 'prisma', table: '_prisma_migrations' });
  }
  if (await has('flyway_schema_history')) {
    const t = q('flyway_schema_history');
    const failed = await rows(`SELECT installed_rank FROM ${t} WHERE version = ? AND NOT success`, [version]);
    if (failed.length > 0) {
      await rows(as === 'applied' ? `UPDATE ${t} SET success = ? WHERE version = ? AND NOT success` : `DELETE FROM ${t} WHERE version = ? AND NOT success`, as === 'applied' ? [bool(true), version] : [version]);
      done.push({ tool: 'flyway', table: 'flyway_schema_history' });
    }
  }
  return done;
}
