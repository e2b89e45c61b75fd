/**
 * Reads and writes migseal's history tables. Every write is one statement followed by its
 * entry in the history chain (./history-chain.ts): callers run writes inside a transaction,
 * so a row and its entry commit together. Reading checks the chain first (T5.11).
 */
import type { Driver, Row } from '../db/driver.js';
import { MigsealError } from '../errors.js';
import { appendChain, readChain } from './history-chain.js';
import { checkHistoryChain, type ChainStatus, type HistoryTables } from './check-history-chain.js';
import { historyExists, TABLES } from './history-schema.js';
import { fingerprintText, parseFingerprint, type SchemaFingerprint } from '../fingerprint/index.js';

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
  /** The `hash` of the run's "started" audit record (null for runs recorded before audit anchoring). */
  auditHash: string | null;
}

/** The live schema's fingerprint when a run ended (its objects are read on demand: readRecordedFingerprint). */
export interface RecordedFingerprint {
  runId: string;
  recordedAt: string;
  sha256: string;
}

/** The backup a run took before its first statement (apply --backup). */
export interface RecordedBackup {
  runId: string;
  takenAt: string;
  path: string;
  bytes: number;
  sha256: string;
  format: string;
  fingerprintSha256: string;
}

export interface History {
  /** False when migseal never changed this database (its tables are absent). */
  exists: boolean;
  migrations: AppliedMigration[];
  marker: ReleaseMarker | undefined;
  runs: RunRecord[];
  /** The history chain, checked: undefined when the database has no chain yet (no history, or an older migseal's). */
  chain: ChainStatus | undefined;
  /** The fingerprint the newest run recorded; undefined when none has (no history, or an older migseal's). */
  fingerprint: RecordedFingerprint | undefined;
}

/** Rows whose migration counts as present in the schema. */
export const isInSchema = (m: AppliedMigration): boolean => m.state === 'applied' || m.state === 'adopted';

/** Reads the whole history and checks it against its chain: HISTORY_TAMPERED (exit 2) names the first row that does not match. */
export async function readHistory(driver: Driver): Promise<History> {
  if (!(await historyExists(driver))) return { exists: false, migrations: [], marker: undefined, runs: [], chain: undefined, fingerprint: undefined };
  const tables = await readHistoryTables(driver);
  const marker = tables.markers[tables.markerIds.indexOf(1)];
  const history: History = { exists: true, migrations: tables.migrations, marker, runs: tables.runs, chain: undefined, fingerprint: tables.fingerprints.at(-1) };
  if (await driver.hasTable(driver.table(TABLES.chain))) history.chain = checkHistoryChain(await readChain(driver), tables, driver.target);
  else if (tables.chained) throw chainRemoved(driver.target);
  return history;
}

/** The rows of the history tables as they are, unchecked. */
export async function readHistoryTables(driver: Driver): Promise<HistoryTables> {
  const migrations = (await driver.query(`SELECT * FROM ${driver.table(TABLES.migrations)} ORDER BY applied_at, migration_key`)).map(toMigration);
  const markerRows = await driver.query(`SELECT * FROM ${driver.table(TABLES.release)} ORDER BY id`);
  const runRows = await driver.query(`SELECT * FROM ${driver.table(TABLES.runs)} ORDER BY started_at, run_id`);
  // The audit column came with the chain: a history that has it and no chain lost its chain.
  const chained = runRows.some((r) => 'audit_hash' in r);
  const fingerprints = (await driver.hasTable(driver.table(TABLES.fingerprints)))
    ? (await driver.query(`SELECT run_id, recorded_at, sha256 FROM ${driver.table(TABLES.fingerprints)} ORDER BY recorded_at, run_id`)).map(
        (r): RecordedFingerprint => ({ runId: str(r.run_id), recordedAt: str(r.recorded_at), sha256: str(r.sha256) }),
      )
    : [];
  const backups = (await driver.hasTable(driver.table(TABLES.backups)))
    ? (await driver.query(`SELECT * FROM ${driver.table(TABLES.backups)} ORDER BY taken_at, run_id`)).map(
        (r): RecordedBackup => ({ runId: str(r.run_id), takenAt: str(r.taken_at), path: str(r.path), bytes: Number(r.bytes), sha256: str(r.sha256), format: str(r.format), fingerprintSha256: str(r.fingerprint_sha256) }),
      )
    : [];
  return { migrations, runs: runRows.map(toRun), markers: markerRows.map(toMarker), markerIds: markerRows.map((r) => Number(r.id)), chained, fingerprints, backups };
}

/** Records the backup a run took, in the caller's transaction (the one that records the run's start). */
export async function recordBackup(driver: Driver, row: RecordedBackup): Promise<void> {
  await driver.query(`INSERT INTO ${driver.table(TABLES.backups)} (run_id, taken_at, path, bytes, sha256, format, fingerprint_sha256) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
    row.runId,
    row.takenAt,
    row.path,
    row.bytes,
    row.sha256,
    row.format,
    row.fingerprintSha256,
  ]);
  await appendChain(driver, row.runId, { table: 'backups', op: 'record', row });
}

/**
 * Records the live schema's fingerprint for a run, in the caller's transaction: its text is
 * stored once per distinct SHA-256 (the same schema run after run costs a short row).
 */
export async function recordFingerprint(driver: Driver, runId: string, fingerprint: SchemaFingerprint): Promise<void> {
  const t = driver.table(TABLES.fingerprints);
  const known = await driver.query(`SELECT 1 AS known FROM ${t} WHERE sha256 = ? AND fingerprint IS NOT NULL LIMIT 1`, [fingerprint.sha256]);
  const row: RecordedFingerprint = { runId, recordedAt: new Date().toISOString(), sha256: fingerprint.sha256 };
  await driver.query(`INSERT INTO ${t} (run_id, recorded_at, sha256, fingerprint) VALUES (?, ?, ?, ?)`, [row.runId, row.recordedAt, row.sha256, known.length > 0 ? null : fingerprintText(fingerprint)]);
  await appendChain(driver, runId, { table: 'fingerprints', op: 'record', row });
}

/** The objects of a recorded fingerprint; HISTORY_TAMPERED when its text is gone or no longer hashes to what the chain recorded. */
export async function readRecordedFingerprint(driver: Driver, recorded: RecordedFingerprint): Promise<SchemaFingerprint> {
  const rows = await driver.query(`SELECT fingerprint FROM ${driver.table(TABLES.fingerprints)} WHERE sha256 = ? AND fingerprint IS NOT NULL`, [recorded.sha256]);
  const fingerprint = rows.length === 1 ? parseFingerprint(str(rows[0]!.fingerprint), recorded.sha256) : undefined;
  if (fingerprint) return fingerprint;
  throw new MigsealError(
    'HISTORY_TAMPERED',
    `migseal's history in ${driver.target} was changed outside migseal: the schema fingerprint run ${recorded.runId} recorded (sha256:${recorded.sha256.slice(0, 16)}…) is ${rows.length === 0 ? 'missing' : 'not the one recorded'}. Nothing was run; compare the database with the audit log (migseal audit-log verify LOG --db URL) before anything else.`,
    { details: { table: TABLES.fingerprints, runId: recorded.runId } },
  );
}

const chainRemoved = (target: string): MigsealError =>
  new MigsealError('HISTORY_TAMPERED', `migseal's history in ${target} was changed outside migseal: its history chain (migseal_chain) was removed. Nothing was run; compare the database with the audit log (migseal audit-log verify LOG --db URL) before anything else.`, {
    details: { table: 'migseal_chain' },
  });

export async function readRuns(driver: Driver): Promise<RunRecord[]> {
  return (await readHistory(driver)).runs;
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
  await appendChain(driver, m.runId, { table: 'migrations', op: 'write', row: m });
}

export async function setMigrationState(driver: Driver, key: string, state: MigrationState, runId: string, note: string | null): Promise<void> {
  await driver.query(`UPDATE ${driver.table(TABLES.migrations)} SET state = ?, run_id = ?, note = ? WHERE migration_key = ?`, [state, runId, note, key]);
  await appendChain(driver, runId, { table: 'migrations', op: 'state', key, state, runId, note });
}

/** Sets the release marker; callers only ever raise it. */
export async function writeMarker(driver: Driver, marker: ReleaseMarker, runId: string): Promise<void> {
  await driver.query(
    `INSERT INTO ${driver.table(TABLES.release)} (id, project, dialect, release, bundle_digest, updated_at) VALUES (1, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET project = excluded.project, dialect = excluded.dialect, release = excluded.release,
       bundle_digest = excluded.bundle_digest, updated_at = excluded.updated_at`,
    [marker.project, marker.dialect, marker.release, marker.bundleDigest, marker.updatedAt],
    { repeated: true, atCommit: true },
  );
  await appendChain(driver, runId, { table: 'release', op: 'write', row: marker });
}

export async function startRun(driver: Driver, run: RunRecord): Promise<void> {
  await driver.query(
    `INSERT INTO ${driver.table(TABLES.runs)} (run_id, command, bundle_digest, project, release, signers, environment, host, os_user, started_at, finished_at, outcome, error, reason, audit_hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [run.runId, run.command, run.bundleDigest, run.project, run.release, JSON.stringify(run.signers), run.environment, run.host, run.osUser, run.startedAt, run.finishedAt, run.outcome, run.error, run.reason, run.auditHash],
  );
  await appendChain(driver, run.runId, { table: 'runs', op: 'start', row: run });
}

/** Runs still marked running when we hold the lock belong to a runner that died; say so. */
export async function closeInterruptedRuns(driver: Driver, runId: string): Promise<void> {
  const running = await driver.query(`SELECT run_id FROM ${driver.table(TABLES.runs)} WHERE outcome = 'running'`);
  if (running.length === 0) return;
  const finishedAt = new Date().toISOString();
  await driver.query(`UPDATE ${driver.table(TABLES.runs)} SET outcome = 'interrupted', finished_at = ? WHERE outcome = 'running'`, [finishedAt]);
  await appendChain(driver, runId, { table: 'runs', op: 'interrupt', finishedAt });
}

export async function finishRun(driver: Driver, runId: string, outcome: 'succeeded' | 'failed', error: string | null): Promise<void> {
  const finishedAt = new Date().toISOString();
  await driver.query(`UPDATE ${driver.table(TABLES.runs)} SET finished_at = ?, outcome = ?, error = ? WHERE run_id = ?`, [finishedAt, outcome, error, runId]);
  await appendChain(driver, runId, { table: 'runs', op: 'finish', runId, finishedAt, outcome, error });
}

export const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function toMigration(r: Row): AppliedMigration {
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

export function toMarker(r: Row): ReleaseMarker {
  return { project: str(r.project), dialect: str(r.dialect), release: str(r.release), bundleDigest: str(r.bundle_digest), updatedAt: str(r.updated_at) };
}

export function toRun(r: Row): RunRecord {
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
    auditHash: strOrNull(r.audit_hash),
  };
}
