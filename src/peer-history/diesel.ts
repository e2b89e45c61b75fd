/**
 * Diesel's __diesel_schema_migrations: one row per applied version, run_on defaulting to the
 * current time. As diesel/src/migration/setup_migration_table.sql creates it and
 * diesel_migrations/src/migration_harness.rs writes it: inserted after up.sql, deleted after
 * down.sql, in the migration's transaction unless metadata.toml turns it off.
 */
import { stmt, type PeerWriter } from './writer.js';

export const diesel: PeerWriter = {
  tool: 'diesel',
  defaultTable: '__diesel_schema_migrations',
  create: (t) => [`CREATE TABLE IF NOT EXISTS ${t.table} (\n       version VARCHAR(50) PRIMARY KEY NOT NULL,\n       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP\n)`],
  beforeUp: () => [],
  afterUp: (t, s) => [stmt(`INSERT INTO ${t.table} (version) VALUES (?)`, s.migration.version)],
  upFailed: () => [],
  beforeDown: () => [],
  afterDown: (t, s) => [stmt(`DELETE FROM ${t.table} WHERE version = ?`, s.migration.version)],
};
