/**
 * migseal's history as a hash chain in the database (T5.11). Every write to the history
 * tables appends, in the same transaction, one entry to `migseal_chain` saying what was
 * written: the whole row, or the fields changed. Each entry's hash covers the hash of the
 * entry before it, its number, its run and what it says; a run's start entry carries the
 * hash of the run's "started" audit record, so the chain covers the audit log too.
 *
 *   hash = SHA-256( prev_hash "|" seq "|" run_id "|" body )   (UTF-8, lowercase hex)
 *
 * The hash is computed from the entry before it as the database holds it, in the same
 * transaction, so the chain never depends on what the runner remembers. Checking it
 * (./check-history-chain.ts) replays the entries and compares the result with the tables.
 */
import type { Driver } from '../db/driver.js';
import { canonicalJson } from '../format/strict-json.js';
import { sha256Hex } from '../format/digest.js';
import type { AppliedMigration, RecordedBackup, RecordedFingerprint, ReleaseMarker, RunRecord } from './history.js';
import { TABLES } from './history-schema.js';

export const GENESIS = '0'.repeat(64);

/** What one entry says was written. */
export type ChainBody =
  | { table: 'runs'; op: 'start'; row: RunRecord }
  | { table: 'runs'; op: 'finish'; runId: string; finishedAt: string; outcome: RunRecord['outcome']; error: string | null }
  | { table: 'runs'; op: 'interrupt'; finishedAt: string }
  | { table: 'migrations'; op: 'write'; row: AppliedMigration }
  | { table: 'migrations'; op: 'state'; key: string; state: AppliedMigration['state']; runId: string; note: string | null }
  | { table: 'release'; op: 'write'; row: ReleaseMarker }
  /** The live schema's fingerprint when a run ended (its text is checked against the SHA-256 when read). */
  | { table: 'fingerprints'; op: 'record'; row: RecordedFingerprint }
  /** The backup a run took before its first statement. */
  | { table: 'backups'; op: 'record'; row: RecordedBackup }
  /** The history an older migseal wrote, taken as it stood when the chain began. */
  | { table: 'all'; op: 'snapshot'; at: string; migrations: AppliedMigration[]; runs: RunRecord[]; release: ReleaseMarker | null };

export interface ChainEntry {
  seq: number;
  runId: string;
  body: string;
  prevHash: string;
  hash: string;
}

export const entryHash = (prevHash: string, seq: number, runId: string, body: string): string => sha256Hex(`${prevHash}|${seq}|${runId}|${body}`);

/** The body as stored: canonical JSON without its newline. */
export const bodyText = (body: ChainBody): string => (body.table === 'migrations' && body.op === 'write' ? migrationWriteText(body) : canonicalJson(body).slice(0, -1));

/** The fields of a migration row, in the order canonical JSON sorts them (UTF-16 code units). */
const MIGRATION_FIELDS = ['appliedAt', 'appliedBy', 'bundleDigest', 'checksum', 'durationMs', 'key', 'kind', 'name', 'note', 'release', 'runId', 'state', 'version'] as const;

/**
 * A migration row's entry, written once per migration: the object is built with its keys
 * already in canonical order, so one JSON.stringify gives canonicalJson's text (strings and
 * null are written alike; a safe integer is its digits). A row of any other shape, or with a
 * duration canonical JSON refuses, takes the general path.
 */
function migrationWriteText(body: Extract<ChainBody, { table: 'migrations'; op: 'write' }>): string {
  const row = body.row;
  if (Object.keys(body).length !== 3 || Object.keys(row).length !== MIGRATION_FIELDS.length || !Number.isSafeInteger(row.durationMs)) return canonicalJson(body).slice(0, -1);
  for (const field of MIGRATION_FIELDS) {
    const value = row[field];
    if (typeof value !== 'string' && !(field === 'durationMs' || (field === 'note' && value === null))) return canonicalJson(body).slice(0, -1);
  }
  return JSON.stringify({
    op: 'write',
    row: {
      appliedAt: row.appliedAt,
      appliedBy: row.appliedBy,
      bundleDigest: row.bundleDigest,
      checksum: row.checksum,
      durationMs: row.durationMs,
      key: row.key,
      kind: row.kind,
      name: row.name,
      note: row.note,
      release: row.release,
      runId: row.runId,
      state: row.state,
      version: row.version,
    },
    table: 'migrations',
  });
}

/**
 * Appends one entry after the newest, in the caller's transaction. The entry before it is
 * always the one the database holds, read in that transaction, never one the runner remembers.
 * On SQLite (in-process) the head is read with a prepared SELECT and the hash computed here:
 * one INSERT ... SELECT that calls back into JavaScript for the hash is planned again after
 * every migration's schema change, at about twice the cost. On PostgreSQL the one statement
 * goes to the server with the COMMIT, so the hash is computed there without a round trip.
 */
export async function appendChain(driver: Driver, runId: string, body: ChainBody): Promise<void> {
  const t = driver.table(TABLES.chain);
  const text = bodyText(body);
  if (driver.dialect === 'sqlite') {
    const [head] = await driver.query(`SELECT seq, hash FROM ${t} ORDER BY seq DESC LIMIT 1`, [], { repeated: true });
    const seq = head === undefined ? 1 : Number(head.seq) + 1;
    const prev = head === undefined ? GENESIS : String(head.hash);
    await driver.query(`INSERT INTO ${t} (seq, run_id, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?)`, [seq, runId, text, prev, entryHash(prev, seq, runId, text)], { repeated: true });
    return;
  }
  // $1 and $2 (the run and the body) are each named twice but sent once: the body is most of the message.
  await driver.query(
    `INSERT INTO ${t} (seq, run_id, body, prev_hash, hash)
     SELECT head.seq, CAST($1 AS TEXT), CAST($2 AS TEXT), head.prev,
       ${driver.sha256(`head.prev || '|' || CAST(head.seq AS TEXT) || '|' || CAST($1 AS TEXT) || '|' || CAST($2 AS TEXT)`)}
     FROM (SELECT COALESCE(last.seq, 0) + 1 AS seq, COALESCE(last.hash, '${GENESIS}') AS prev
       FROM (SELECT 1) AS one LEFT JOIN (SELECT seq, hash FROM ${t} ORDER BY seq DESC LIMIT 1) AS last ON TRUE) AS head`,
    [runId, text],
    { repeated: true, atCommit: true },
  );
}

export async function readChain(driver: Driver): Promise<ChainEntry[]> {
  const rows = await driver.query(`SELECT seq, run_id, body, prev_hash, hash FROM ${driver.table(TABLES.chain)} ORDER BY seq`);
  return rows.map((r) => ({ seq: Number(r.seq), runId: String(r.run_id ?? ''), body: String(r.body ?? ''), prevHash: String(r.prev_hash ?? ''), hash: String(r.hash ?? '') }));
}
