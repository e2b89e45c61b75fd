/** Reads and writes migseal's history tables. Every write is one statement; callers choose the transaction. */
import type { Driver, Row } from '../db/driver.js';
import { historyExists, TABLES } from './history-schema.js';

export type MigrationState = 'applied' | 'rolled-back' | 'dirty' | 'adopted';

export interface AppliedMigration {
  key: string;
  version: string;
  name: string;
  kind: 'versioned' | 'repeatable';
  checksum: string;
  release: string;
  bundleDigest: string;
  appliedAt: string;
  appliedBy: string;
  durationMs: number;
  state: MigrationState;
  runId: string;
  note: string | null;
}

export interface ReleaseMarker {
  project: string;
  dialect: string;
  release: string;
  bundleDigest: string;
  updatedAt: string;
}

export interface RunRecord {
  runId: string;
  command: 'apply' | 'rollback' | 'resolve';
  bundleDigest: string | null;
  project: string | null;
  release: string | null;
  signers: string[];
  environment: string | null;
  host: string;
  osUser: string;
  startedAt: string;
  finishedAt: string | null;
  /** 'interrupted': the process died mid-run (found by the next runner to take the lock). */
  outcome: 'running' | 'succeeded' | 'failed' | 'interrupted';
  error: string | null;
  reason: string | null;
}

export interface History {
  /** False when migseal never changed this database (its tables are absent). */
  exists: boolean;
  migrations: AppliedMigration[];
  marker: ReleaseMarker | undefined;
}

/** Rows whose migration counts as present in the schema. */
export const isInSchema = (m: AppliedMigration): boolean => m.state === 'applied' || m.state === 'adopted';

export async function readHistory(driver: Driver): Promise<History> {
  if (!(await historyExists(driver))) return { exists: false, migrations: [], marker: undefined };
  const rows = await driver.query(`SELECT * FROM ${driver.table(TABLES.migrations)} ORDER BY applied_at, migration_key`);
  const marker = (await driver.query(`SELECT * FROM ${driver.table(TABLES.release)} WHERE id = 1`))[0];
  return { exists: true, migrations: rows.map(toMigration), marker: marker && toMarker(marker) };
}

export async function readRuns(driver: Driver): Promise<RunRecord[]> {
  if (!(await historyExists(driver))) return [];
  const rows = await driver.query(`SELECT * FROM ${driver.table(TABLES.runs)} ORDER BY started_at, run_id`);
  return rows.map(toRun);
}

/**
 * Records a migration. `recorded` says whether the history already has a row under its key
 * (read under the runner lock): a new row is a plain insert, an existing one is replaced.
 */
export async function writeMigration(driver: Driver, m: AppliedMigration, recorded = true): Promise<void> {
  const columns = 'migration_key, version, name, kind, checksum, release, bundle_digest, applied_at, applied_by, duration_ms, state, run_id, note';
  const insert = `INSERT INTO ${driver.table(TABLES.migrations)} (${columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
  await driver.query(
    recorded
      ? `${insert}
     ON CONFLICT (migration_key) DO UPDATE SET version = excluded.version, name = excluded.name, kind = excluded.kind, checksum = excluded.checksum,
       release = excluded.release, bundle_digest = excluded.bundle_digest, applied_at = excluded.applied_at, applied_by = excluded.applied_by,
       duration_ms = excluded.duration_ms, state = excluded.state, run_id = excluded.run_id, note = excluded.note`
      : insert,
    [m.key, m.version, m.name, m.kind, m.checksum, m.release, m.bundleDigest, m.appliedAt, m.appliedBy, m.durationMs, m.state, m.runId, m.note],
    { repeated: true, atCommit: true },
  );
}

export async function setMigrationState(driver: Driver, key: string, state: MigrationState, runId: string, note: string | null): Promise<void> {
  await driver.query(`UPDATE ${driver.table(TABLES.migrations)} SET state = ?, run_id = ?, note = ? WHERE migration_key = ?`, [state, runId, note, key]);
}

/** Sets the release marker; callers only ever raise it. */
export async function writeMarker(driver: Driver, marker: ReleaseMarker): Promise<void> {
  await driver.query(
    `INSERT INTO ${driver.table(TABLES.release)} (id, project, dialect, release, bundle_digest, updated_at) VALUES (1, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET project = excluded.project, dialect = excluded.dialect, release = excluded.release,
       bundle_digest = excluded.bundle_digest, updated_at = excluded.updated_at`,
    [marker.project, marker.dialect, marker.release, marker.bundleDigest, marker.updatedAt],
    { repeated: true, atCommit: true },
  );
}

export async function startRun(driver: Driver, run: RunRecord): Promise<void> {
  await driver.query(
    `INSERT INTO ${driver.table(TABLES.runs)} (run_id, command, bundle_digest, project, release, signers, environment, host, os_user, started_at, finished_at, outcome, error, reason)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [run.runId, run.command, run.bundleDigest, run.project, run.release, JSON.stringify(run.signers), run.environment, run.host, run.osUser, run.startedAt, run.finishedAt, run.outcome, run.error, run.reason],
  );
}

/** Runs still marked running when we hold the lock belong to a runner that died; say so. */
export async function closeInterruptedRuns(driver: Driver): Promise<void> {
  await driver.query(`UPDATE ${driver.table(TABLES.runs)} SET outcome = 'interrupted', finished_at = ? WHERE outcome = 'running'`, [new Date().toISOString()]);
}

export async function finishRun(driver: Driver, runId: string, outcome: 'succeeded' | 'failed', error: string | null): Promise<void> {
  await driver.query(`UPDATE ${driver.table(TABLES.runs)} SET finished_at = ?, outcome = ?, error = ? WHERE run_id = ?`, [new Date().toISOString(), outcome, error, runId]);
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toMigration(r: Row): AppliedMigration {
  return {
    key: str(r.migration_key),
    version: str(r.version),
    name: str(r.name),
    kind: r.kind === 'repeatable' ? 'repeatable' : 'versioned',
    checksum: str(r.checksum),
    release: str(r.release),
    bundleDigest: str(r.bundle_digest),
    appliedAt: str(r.applied_at),
    appliedBy: str(r.applied_by),
    durationMs: Number(r.duration_ms),
    state: str(r.state) as MigrationState,
    runId: str(r.run_id),
    note: strOrNull(r.note),
  };
}

function toMarker(r: Row): ReleaseMarker {
  return { project: str(r.project), dialect: str(r.dialect), release: str(r.release), bundleDigest: str(r.bundle_digest), updatedAt: str(r.updated_at) };
}

function toRun(r: Row): RunRecord {
  let signers: string[] = [];
  try {
    const parsed: unknown = JSON.parse(str(r.signers));
    if (Array.isArray(parsed)) signers = parsed.map(String);
  } catch {
    /* an unreadable list shows as none */
  }
  return {
    runId: str(r.run_id),
    command: str(r.command) as RunRecord['command'],
    bundleDigest: strOrNull(r.bundle_digest),
    project: strOrNull(r.project),
    release: strOrNull(r.release),
    signers,
    environment: strOrNull(r.environment),
    host: str(r.host),
    osUser: str(r.os_user),
    startedAt: str(r.started_at),
    finishedAt: strOrNull(r.finished_at),
    outcome: str(r.outcome) as RunRecord['outcome'],
    error: strOrNull(r.error),
    reason: strOrNull(r.reason),
  };
}
