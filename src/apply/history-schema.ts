/**
 * migseal's own tables, the same on every database (text, integers and ISO-8601 UTC times):
 *   migseal_migrations: one row per migration, its current state and where it came from;
 *   migseal_runs:       one row per apply, rollback or resolve, with provenance and outcome;
 *   migseal_release:    one row, the highest release applied here, for its project and dialect.
 * Created by the first apply that changes something, never by plan, status or history.
 */
import type { Driver } from '../db/driver.js';

export const TABLES = Object.freeze({
  migrations: 'migseal_migrations',
  runs: 'migseal_runs',
  release: 'migseal_release',
});

const ddl = (t: (name: string) => string): string[] => [
  `CREATE TABLE IF NOT EXISTS ${t(TABLES.migrations)} (
    migration_key TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    checksum TEXT NOT NULL,
    release TEXT NOT NULL,
    bundle_digest TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    applied_by TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    state TEXT NOT NULL,
    run_id TEXT NOT NULL,
    note TEXT
  )`,
  `CREATE TABLE IF NOT EXISTS ${t(TABLES.runs)} (
    run_id TEXT PRIMARY KEY,
    command TEXT NOT NULL,
    bundle_digest TEXT,
    project TEXT,
    release TEXT,
    signers TEXT NOT NULL,
    environment TEXT,
    host TEXT NOT NULL,
    os_user TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT NOT NULL,
    error TEXT,
    reason TEXT
  )`,
  `CREATE TABLE IF NOT EXISTS ${t(TABLES.release)} (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    project TEXT NOT NULL,
    dialect TEXT NOT NULL,
    release TEXT NOT NULL,
    bundle_digest TEXT NOT NULL,
    updated_at TEXT NOT NULL
  )`,
];

export async function historyExists(driver: Driver): Promise<boolean> {
  return driver.hasTable(driver.table(TABLES.migrations));
}

export async function ensureHistorySchema(driver: Driver): Promise<void> {
  if (await historyExists(driver)) return;
  await driver.transaction(async () => {
    for (const statement of ddl((name) => driver.table(name))) await driver.exec(statement);
  });
}
