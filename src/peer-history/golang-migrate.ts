/**
 * golang-migrate's schema_migrations: one row, the current version and whether it is dirty.
 * As database/postgres/postgres.go and database/sqlite3/sqlite3.go write it: SetVersion empties
 * the table and inserts (version, dirty); migrate.go calls SetVersion(v, true) before a
 * migration and SetVersion(v, false) after it. A down migration's target is the version before
 * it, and with none left the table ends empty (it holds (-1, true) while that last down runs).
 * The table is emptied with DELETE, on PostgreSQL too where golang-migrate uses TRUNCATE: the
 * same rows, without a new file for the table and its index, and a catalog update, twice per
 * migration.
 */
import { stmt, type PeerStatement, type PeerTarget, type PeerWriter } from './writer.js';

const setVersion = (t: PeerTarget, version: string | undefined, dirty: boolean): PeerStatement[] => [
  stmt(`DELETE FROM ${t.table}`),
  ...(version !== undefined || dirty ? [stmt(`INSERT INTO ${t.table} (version, dirty) VALUES (?, ?)`, BigInt(version ?? '-1').toString(), t.dialect === 'postgres' ? dirty : dirty ? 1 : 0)] : []),
];

export const golangMigrate: PeerWriter = {
  tool: 'golang-migrate',
  defaultTable: 'schema_migrations',
  create: (t) =>
    t.dialect === 'postgres'
      ? [`CREATE TABLE IF NOT EXISTS ${t.table} (version bigint not null primary key, dirty boolean not null)`]
      : [`CREATE TABLE IF NOT EXISTS ${t.table} (version uint64,dirty bool)`, `CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON ${t.table} (version)`],
  beforeUp: (t, s) => setVersion(t, s.migration.version, true),
  afterUp: (t, s) => setVersion(t, s.migration.version, false),
  upFailed: () => [], // the dirty row written before the script stays: `migrate force` clears it
  beforeDown: (t, s) => setVersion(t, s.previousVersion, true),
  afterDown: (t, s) => setVersion(t, s.previousVersion, false),
};
