/**
 * dbmate's schema_migrations: one row per applied version. As pkg/dbmate/db.go (Migrate,
 * Rollback) and pkg/driver/postgres/postgres.go write it: the version is inserted after the up
 * block, in its transaction, and deleted after the down block; a failure leaves nothing.
 */
import { stmt, type PeerWriter } from './writer.js';

export const dbmate: PeerWriter = {
  tool: 'dbmate',
  defaultTable: 'schema_migrations',
  create: (t) => [t.dialect === 'postgres' ? `create table if not exists ${t.table} (version varchar primary key)` : `create table if not exists ${t.table} (version varchar(128) primary key)`],
  beforeUp: () => [],
  afterUp: (t, s) => [stmt(`insert into ${t.table} (version) values (?)`, s.migration.version)],
  upFailed: () => [],
  beforeDown: () => [],
  afterDown: (t, s) => [stmt(`delete from ${t.table} where version = ?`, s.migration.version)],
};
