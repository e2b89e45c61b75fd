/**
 * migseal's own tables, the same on every database (text, integers and ISO-8601 UTC times),
 * always named in the fixed place the driver gives them (Driver.table: SQLite `main.`,
 * PostgreSQL the `migseal` schema):
 *   migseal_migrations: one row per migration, its current state and where it came from;
 *   migseal_runs:       one row per apply, rollback or resolve, with provenance, outcome and
 *                       the hash of its "started" audit record;
 *   migseal_release:    one row, the highest release applied here, for its project and dialect;
 *   migseal_chain:      one entry per write to the others, hash-chained (./history-chain.ts);
 *   migseal_fingerprints: one row per run, the live schema's fingerprint when it ended
 *                       (src/fingerprint), its text kept once per distinct SHA-256.
 * Created by the first apply that changes something, never by plan, status or history. A
 * database an older migseal wrote gets the chain (and the audit column) the first time a
 * newer one writes, chained from that point, with the history as it stood then; one written
 * before fingerprints were recorded gets their table, empty, the first time a newer one writes.
 */
import type { Driver } from '../db/driver.js';
import { appendChain } from './history-chain.js';

export const TABLES = Object.freeze({
  migrations: 'migseal_migrations',
  runs: 'migseal_runs',
  release: 'migseal_release',
  chain: 'migseal_chain',
  fingerprints: 'migseal_fingerprints',
  backups: 'migseal_backups',
});

/** migseal_backups: one row per run that took a backup before its first statement (apply --backup). */
const backupsDdl = (t: (name: string) => string): string =>
  `CREATE TABLE IF NOT EXISTS ${t(TABLES.backups)} (
    run_id TEXT PRIMARY KEY,
    taken_at TEXT NOT NULL,
    path TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    fingerprint_sha256 TEXT NOT NULL
  )`;

const fingerprintsDdl = (t: (name: string) => string): string =>
  `CREATE TABLE IF NOT EXISTS ${t(TABLES.fingerprints)} (
    run_id TEXT PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    fingerprint TEXT
  )`;

const chainDdl = (t: (name: string) => string): string =>
  `CREATE TABLE IF NOT EXISTS ${t(TABLES.chain)} (
    seq INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    body TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  )`;

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
    reason TEXT,
    audit_hash TEXT
  )`,
  `CREATE TABLE IF NOT EXISTS ${t(TABLES.release)} (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    project TEXT NOT NULL,
    dialect TEXT NOT NULL,
    release TEXT NOT NULL,
    bundle_digest TEXT NOT NULL,
    updated_at TEXT NOT NULL
  )`,
  chainDdl(t),
  fingerprintsDdl(t),
  backupsDdl(t),
];

export async function historyExists(driver: Driver): Promise<boolean> {
  return driver.hasTable(driver.table(TABLES.migrations));
}

export async function ensureHistorySchema(driver: Driver): Promise<void> {
  await driver.fixHistoryPlace(Object.values(TABLES));
  const t = (name: string): string => driver.table(name);
  if (!(await historyExists(driver))) {
    await driver.transaction(() => driver.exec(ddl(t).join(';\n')));
    return;
  }
  if (!(await driver.hasTable(t(TABLES.chain)))) await beginChain(driver, t);
  if (!(await driver.hasTable(t(TABLES.fingerprints)))) await driver.transaction(() => driver.exec(fingerprintsDdl(t)));
  if (!(await driver.hasTable(t(TABLES.backups)))) await driver.transaction(() => driver.exec(backupsDdl(t)));
}

/** Written by an older migseal: add what is new, and begin the chain with the history as it stands. */
async function beginChain(driver: Driver, t: (name: string) => string): Promise<void> {
  const { readHistoryTables } = await import('./history.js');
  await driver.transaction(async () => {
    await driver.exec(`ALTER TABLE ${t(TABLES.runs)} ADD COLUMN audit_hash TEXT`);
    await driver.exec(chainDdl(t));
    const tables = await readHistoryTables(driver);
    const release = tables.markers[tables.markerIds.indexOf(1)] ?? null;
    await appendChain(driver, '', { table: 'all', op: 'snapshot', at: new Date().toISOString(), migrations: tables.migrations, runs: tables.runs, release });
  });
}
