/**
 * The backup taken before an apply runs its first statement: after verification, the runner
 * lock and every check, so it is the database exactly as the run found it.
 *   SQLite:     SQLite's online backup API into a new private file, then PRAGMA integrity_check
 *               on the copy.
 *   PostgreSQL: the host's pg_dump in custom format (refused when missing or older than the
 *               server), then pg_restore --list on the file.
 * The file is 0600 in a folder created 0700; beside it, FILE.json records what was backed up
 * and the schema fingerprint read at that moment, which a restore is checked against. Any
 * failure removes what was written and is BACKUP_FAILED (exit 1): nothing has run.
 */
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, createReadStream, mkdirSync, openSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Driver } from '../db/driver.js';
import { MigsealError } from '../errors.js';
import { readSchemaFingerprint, type SchemaFingerprint } from '../fingerprint/index.js';
import { describeHolders, EXCLUSIVE_LOCK_HOLDERS, toHolder, type LockHolder } from '../db/postgres-blockers.js';
import { redactString } from '../audit/redact.js';
import { findPgTool, pgEnvironment, runTool, toolMajor, type PgConnection } from './pg-tools.js';

export type { PgConnection } from './pg-tools.js';

export const SIDECAR_SUFFIX = '.json';
const PG_DUMP_TIMEOUT_MS = 6 * 3_600_000;

export interface BackupRecord {
  path: string;
  bytes: number;
  sha256: string;
  format: 'sqlite' | 'pg_dump-custom';
  takenAt: string;
  /** The schema fingerprint's SHA-256 when the backup was taken (the sidecar holds its objects). */
  fingerprintSha256: string;
}

/** FILE.json: what a restore needs to know and check. */
export interface BackupSidecar extends BackupRecord {
  kind: 'migseal-backup';
  version: 1;
  dialect: Driver['dialect'];
  database: string;
  runId: string;
  fingerprint: SchemaFingerprint;
}

export interface BackupOptions {
  dir: string;
  runId: string;
  env: Record<string, string | undefined>;
  /** PostgreSQL: how pg_dump connects (the password goes in its environment). */
  postgres?: PgConnection;
  /** pg_dump's --lock-wait-timeout, in milliseconds (0: none). */
  lockWaitMs?: number;
  /** What the file is named after (a fleet: the target's name); the database's name when absent. */
  name?: string;
}

export async function takeBackup(driver: Driver, options: BackupOptions): Promise<BackupRecord> {
  const dir = resolve(options.dir);
  const takenAt = new Date();
  const format = driver.dialect === 'sqlite' ? 'sqlite' : 'pg_dump-custom';
  const path = join(dir, `${options.name !== undefined ? safeStem(options.name) : fileStem(driver)}-${takenAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${options.runId.slice(0, 8)}.${driver.dialect === 'sqlite' ? 'sqlite' : 'dump'}`);
  const failed = (why: string, cause?: unknown, details: Record<string, unknown> = {}): MigsealError =>
    new MigsealError('BACKUP_FAILED', `Cannot back up ${driver.target} before applying: ${why.replace(/\.$/, '')}; nothing was run.`, { cause, details: { backup: path, ...details } });
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Made empty and private first: the copy is never readable by others, not even for a moment.
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    throw failed(`cannot create a file in ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, error);
  }
  try {
    const fingerprint = await readSchemaFingerprint(driver);
    if (driver.dialect === 'sqlite') await copySqlite(driver, path, failed);
    else await dumpPostgres(driver, path, options, failed);
    chmodSync(path, 0o600);
    const record: BackupRecord = { path, bytes: statSync(path).size, sha256: await sha256File(path), format, takenAt: takenAt.toISOString(), fingerprintSha256: fingerprint.sha256 };
    const sidecar: BackupSidecar = { kind: 'migseal-backup', version: 1, ...record, dialect: driver.dialect, database: driver.target, runId: options.runId, fingerprint };
    writeFileSync(`${path}${SIDECAR_SUFFIX}`, `${JSON.stringify(sidecar, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return record;
  } catch (error) {
    for (const p of [path, `${path}${SIDECAR_SUFFIX}`]) {
      try {
        unlinkSync(p);
      } catch {
        /* not written */
      }
    }
    throw error instanceof MigsealError ? error : failed(String((error as Error)?.message ?? error), error);
  }
}

type Failed = (why: string, cause?: unknown, details?: Record<string, unknown>) => MigsealError;

async function copySqlite(driver: Driver, path: string, failed: Failed): Promise<void> {
  if (!driver.onlineBackup) throw failed('this database has no online backup');
  await driver.onlineBackup(path);
  const { sqliteIntegrity } = await import('../db/sqlite.js');
  const result = sqliteIntegrity(path);
  if (result !== 'ok') throw failed(`the copy fails PRAGMA integrity_check (${result})`);
}

async function dumpPostgres(driver: Driver, path: string, options: BackupOptions, failed: Failed): Promise<void> {
  if (!options.postgres) throw failed('no connection to give pg_dump');
  const dump = findPgTool('pg_dump', options.env);
  if (typeof dump !== 'string') throw failed(`pg_dump was not found (looked in ${dump.lookedIn}); install the PostgreSQL client programs of the server's version, or name pg_dump with MIGSEAL_PG_DUMP`);
  const restore = findPgTool('pg_restore', options.env);
  if (typeof restore !== 'string') throw failed(`pg_restore, to check the dump, was not found (looked in ${restore.lookedIn})`);
  const server = Number((await driver.query('SELECT pg_catalog.current_setting(?)::int / 10000 AS major', ['server_version_num']))[0]?.major);
  const major = await toolMajor(dump);
  if (major === undefined) throw failed(`${dump} --version did not say its version`);
  if (major < server) throw failed(`${dump} is pg_dump ${major}, older than the server (PostgreSQL ${server}), and cannot dump it; install pg_dump ${server} or newer, or name it with MIGSEAL_PG_DUMP`);
  const env = pgEnvironment(options.postgres, options.env);
  const args = ['--format=custom', `--file=${path}`, '--no-password', ...(options.lockWaitMs ? [`--lock-wait-timeout=${options.lockWaitMs}`] : []), ...(options.postgres.schema ? [`--schema=${options.postgres.schema}`] : [])];
  const ran = await runTool(dump, args, env, PG_DUMP_TIMEOUT_MS);
  if (ran.code !== 0 && gaveUpOnLock(ran.stderr)) throw await lockFailure(driver, options.lockWaitMs, failed);
  if (ran.code !== 0) throw failed(`pg_dump failed (exit ${ran.code ?? 'on a signal'}): ${firstLine(ran.stderr)}`);
  const listed = await runTool(restore, ['--list', path], { PATH: env.PATH ?? '' }, 600_000);
  if (listed.code !== 0 || !/^;\s*Archive created at/m.test(listed.stdout)) throw failed(`pg_restore --list cannot read the dump: ${firstLine(listed.stderr) || 'no table of contents'}`);
}

/**
 * pg_dump gave up waiting for a table's lock: --lock-wait-timeout is a statement_timeout on its
 * LOCK TABLE (and a parallel worker's NOWAIT lock says it could not obtain it).
 */
const gaveUpOnLock = (stderr: string): boolean =>
  (/canceling statement due to (?:statement|lock) timeout/.test(stderr) && /\bLOCK TABLE\b/.test(stderr)) || /could not obtain lock on relation/.test(stderr);

/**
 * The failure of a pg_dump that gave up on a lock, naming the session that holds it as every
 * other lock refusal does. pg_dump is gone by then, so its wait cannot be asked about: the
 * sessions holding what a read waits for (ACCESS EXCLUSIVE on a table here) are, and the one
 * it waited for most likely still holds it.
 */
async function lockFailure(driver: Driver, lockWaitMs: number | undefined, failed: Failed): Promise<MigsealError> {
  let holders: LockHolder[] = [];
  try {
    const seen = new Set<number>();
    holders = (await driver.query(EXCLUSIVE_LOCK_HOLDERS)).map(toHolder).filter((h) => !seen.has(h.pid) && seen.add(h.pid));
  } catch {
    // Not asked: the failure still says what pg_dump did.
  }
  // Another session's query is its text: credentials in it are redacted, in the message and in details.lockHolders.
  holders = holders.map((h) => ({ ...h, query: h.query === null ? null : redactString(h.query) }));
  const after = lockWaitMs ? ` after ${lockWaitMs} ms` : '';
  const first = holders[0];
  const who =
    first === undefined
      ? '. No session held a lock it waits for by the time it was asked (the holder may have let it go since); try again, or allow a longer wait with --pg-lock-timeout'
      : `. It waited for ${first.wanted ?? 'a lock'} held by ${describeHolders(holders)}. Let ${holders.length === 1 ? 'that session' : 'those sessions'} finish, end ${holders.length === 1 ? 'it' : 'them'} (SELECT pg_terminate_backend(${first.pid})), or allow a longer wait with --pg-lock-timeout`;
  return failed(`pg_dump gave up waiting for a lock${after}${who}`, undefined, { lockHolders: holders });
}

const firstLine = (text: string): string => text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';

export function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

/** The database's name, for the file's: the SQLite file's name without its extension, or the PostgreSQL database (and tenant). */
function fileStem(driver: Driver): string {
  const raw = driver.dialect === 'sqlite' ? basename(driver.target.replace(/^sqlite:/, '')).replace(/\.[^.]*$/, '') : `${driver.target.replace(/[?#].*$/, '').split('/').pop() ?? 'postgres'}${driver.ownSchema ? `-${driver.ownSchema}` : ''}`;
  return safeStem(raw);
}

/** A name as a file name's stem: letters, digits, dot, dash and underscore, at most 64 of them, never a dot first. */
function safeStem(raw: string): string {
  return raw.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_').slice(0, 64) || 'database';
}
