/**
 * Prisma's _prisma_migrations, as the schema engine writes it (sql-schema-connector's
 * create_migrations_table for PostgreSQL, migration_persistence.rs, checksum.rs): before the
 * script a row with a new UUID, the SHA-256 hex of migration.sql, the migration's folder name
 * and started_at; after it applied_steps_count + 1 and finished_at. A failure leaves the row
 * unfinished with the error in logs, until `prisma migrate resolve`.
 */
import { sha256Hex } from '../format/digest.js';
import { stmt, type PeerWriter } from './writer.js';

export const prisma: PeerWriter = {
  tool: 'prisma',
  defaultTable: '_prisma_migrations',
  create: (t) => [
    t.dialect === 'postgres'
      ? `CREATE TABLE ${t.table} (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`
      : `CREATE TABLE ${t.table} (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`,
  ],
  beforeUp: (t, s) => [stmt(`INSERT INTO ${t.table} (id, checksum, started_at, migration_name) VALUES (?, ?, ?, ?)`, s.id, sha256Hex(s.script), s.startedAt, s.migration.version)],
  afterUp: (t, s) => [
    stmt(`UPDATE ${t.table} SET applied_steps_count = applied_steps_count + 1 WHERE id = ?`, s.id),
    stmt(`UPDATE ${t.table} SET finished_at = ? WHERE id = ?`, s.finishedAt, s.id),
  ],
  upFailed: (t, s, message) => [stmt(`UPDATE ${t.table} SET logs = ? WHERE id = ?`, message, s.id)],
  // Prisma has no down migrations; a migseal rollback marks the row rolled back, as resolve does.
  beforeDown: () => [],
  afterDown: (t, s) => [stmt(`UPDATE ${t.table} SET rolled_back_at = ? WHERE migration_name = ? AND rolled_back_at IS NULL`, s.finishedAt, s.migration.version)],
};
