/**
 * `migseal resolve` and the peer's table: it settles the peer row the failed run left behind,
 * as the peer's own command would:
 *   golang-migrate, a dirty (V, true) row: `migrate force V` (applied) or force to the version
 *     migseal applied before V (rolled back);
 *   Prisma, an unfinished row for V: `prisma migrate resolve --applied` (the row marked rolled
 *     back and a finished row added, applied_steps_count 0, logs '') or `--rolled-back`;
 *   Flyway, a failed row for V: marked successful (applied), or removed as `flyway repair` does
 *     (rolled back);
 *   dbmate and Diesel record nothing for a failure: applied adds V's row, when their table is
 *     kept (it holds rows).
 * Given the verified bundle that ran V, exactly the table its signed manifest keeps is settled
 * (a custom name included; none when the bundle keeps none). Without it, the tools' default
 * table names are looked for.
 */
import { randomUUID } from 'node:crypto';
import type { Driver, Row } from '../db/driver.js';
import type { PeerHistorySetting } from '../format/manifest.js';
import { peerTarget } from './index.js';
import type { PeerTarget, PeerTool } from './writer.js';

export interface PeerResolution {
  tool: string;
  table: string;
}

const DEFAULTS: ReadonlyArray<{ tool: PeerTool | 'schema_migrations'; table: string }> = [
  // golang-migrate and dbmate share the name: the table's shape says which one it is.
  { tool: 'schema_migrations', table: 'schema_migrations' },
  { tool: 'diesel', table: '__diesel_schema_migrations' },
  { tool: 'prisma', table: '_prisma_migrations' },
  { tool: 'flyway', table: 'flyway_schema_history' },
];

/**
 * `kept`: the bundle's signed setting when the operator gave the bundle (null: the bundle keeps
 * no peer table); undefined: no bundle, look for the default names.
 */
export async function resolvePeerHistory(
  driver: Driver,
  version: string,
  as: 'applied' | 'rolled-back',
  earlierVersions: string[],
  kept?: PeerHistorySetting | null,
): Promise<PeerResolution[]> {
  const tables = kept === undefined ? DEFAULTS : kept === null || !kept.keep ? [] : [{ tool: kept.tool, table: kept.table }];
  const done: PeerResolution[] = [];
  for (const { tool, table } of tables) {
    const t = peerTarget(driver, table);
    if (!(await driver.hasTable(driver.dialect === 'postgres' ? t.table : t.name))) continue;
    const settled = await settle(driver, tool, t, version, as, earlierVersions);
    if (settled) done.push({ tool: settled, table });
  }
  return done;
}

async function settle(driver: Driver, tool: PeerTool | 'schema_migrations', t: PeerTarget, version: string, as: 'applied' | 'rolled-back', earlier: string[]): Promise<PeerTool | undefined> {
  const rows = (sql: string, params: unknown[] = []): Promise<Row[]> => driver.query(sql, params);
  const bool = (v: boolean) => (driver.dialect === 'postgres' ? v : v ? 1 : 0);
  const now = new Date().toISOString();
  const table = t.table;
  const addVersion = async (): Promise<boolean> => {
    if (as !== 'applied' || (await rows(`SELECT 1 FROM ${table} LIMIT 1`)).length === 0) return false;
    await rows(`INSERT INTO ${table} (version) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE version = ?)`, [version, version]);
    return true;
  };
  if (tool === 'schema_migrations' || tool === 'golang-migrate' || tool === 'dbmate') {
    const dirtyColumn =
      driver.dialect === 'postgres'
        ? await rows("SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname = 'dirty' AND NOT attisdropped", [table])
        : await rows("SELECT 1 FROM pragma_table_info(?) WHERE name = 'dirty'", [t.name]);
    const shape = dirtyColumn.length > 0 ? 'golang-migrate' : 'dbmate';
    // A bundle's table shaped as the other tool's was left alone by apply (--peer-table-unrelated): so here.
    if (tool !== 'schema_migrations' && tool !== shape) return undefined;
    if (shape === 'dbmate') return (await addVersion()) ? 'dbmate' : undefined;
    const current = (await rows(`SELECT version, dirty FROM ${table}`))[0];
    if (!current || String(current.version) !== BigInt(version).toString() || (current.dirty !== true && current.dirty !== 1)) return undefined;
    const to = as === 'applied' ? version : earlier[earlier.length - 1];
    await rows(driver.dialect === 'postgres' ? `TRUNCATE ${table}` : `DELETE FROM ${table}`);
    if (to !== undefined) await rows(`INSERT INTO ${table} (version, dirty) VALUES (?, ?)`, [BigInt(to).toString(), bool(false)]);
    return 'golang-migrate';
  }
  if (tool === 'diesel') return (await addVersion()) ? 'diesel' : undefined;
  if (tool === 'prisma') {
    const failed = await rows(`SELECT id, checksum FROM ${table} WHERE migration_name = ? AND finished_at IS NULL AND rolled_back_at IS NULL`, [version]);
    for (const row of failed) await rows(`UPDATE ${table} SET rolled_back_at = ? WHERE id = ?`, [now, row.id]);
    if (failed.length > 0 && as === 'applied') {
      await rows(`INSERT INTO ${table} (id, checksum, logs, started_at, finished_at, migration_name) VALUES (?, ?, '', ?, ?, ?)`, [randomUUID(), failed[0]!.checksum, now, now, version]);
    }
    return failed.length > 0 ? 'prisma' : undefined;
  }
  const failed = await rows(`SELECT installed_rank FROM ${table} WHERE version = ? AND NOT success`, [version]);
  if (failed.length === 0) return undefined;
  await rows(as === 'applied' ? `UPDATE ${table} SET success = ? WHERE version = ? AND NOT success` : `DELETE FROM ${table} WHERE version = ? AND NOT success`, as === 'applied' ? [bool(true), version] : [version]);
  return 'flyway';
}
