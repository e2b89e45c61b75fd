/**
 * The restore drill: a backup taken before an apply, restored into an EMPTY scratch database
 * and checked against the schema fingerprint recorded when it was taken. The file must still
 * be the one its sidecar describes (size and SHA-256); a target that holds anything is refused.
 *   SQLite:     the file copied byte for byte (the online backup API made a whole database).
 *   PostgreSQL: pg_restore in one transaction, stopping at the first error, without owners or
 *               grants (a scratch server need not have the production roles).
 */
import { copyFileSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { DatabaseUrl, Driver } from '../db/index.js';
import { MigsealError } from '../errors.js';
import { compareFingerprints, isSameSchema, parseFingerprint, readSchemaFingerprint, type FingerprintDifference, type SchemaFingerprint } from '../fingerprint/index.js';
import { findPgTool, pgEnvironment, runTool, type PgConnection } from './pg-tools.js';
import { sha256File, SIDECAR_SUFFIX, type BackupSidecar } from './index.js';

const PG_RESTORE_TIMEOUT_MS = 6 * 3_600_000;

export interface RestoreReport {
  backup: string;
  database: string;
  recorded: { sha256: string; takenAt: string; database: string };
  live: SchemaFingerprint;
  matches: boolean;
  difference: FingerprintDifference;
}

/** FILE.json, checked against FILE: BACKUP_INVALID when either is missing, malformed, or they disagree. */
export async function readBackup(file: string): Promise<BackupSidecar> {
  const invalid = (why: string): MigsealError => new MigsealError('BACKUP_INVALID', `${file} cannot be restored: ${why}; nothing was restored.`);
  if (!existsSync(file)) throw invalid('the file does not exist');
  let sidecar: BackupSidecar;
  try {
    sidecar = JSON.parse(readFileSync(`${file}${SIDECAR_SUFFIX}`, 'utf8')) as BackupSidecar;
  } catch (error) {
    throw invalid(`its record ${basename(file)}${SIDECAR_SUFFIX}, written beside it when it was taken, ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : 'is not JSON'}`);
  }
  const fingerprint = sidecar?.fingerprint ? parseFingerprint(JSON.stringify(sidecar.fingerprint), sidecar.fingerprintSha256) : undefined;
  if (sidecar?.kind !== 'migseal-backup' || (sidecar.dialect !== 'sqlite' && sidecar.dialect !== 'postgres') || typeof sidecar.sha256 !== 'string' || !fingerprint) {
    throw invalid(`its record ${basename(file)}${SIDECAR_SUFFIX} is not a migseal backup record, or its fingerprint does not hash to the SHA-256 it gives`);
  }
  const bytes = statSync(file).size;
  const sha256 = await sha256File(file);
  if (bytes !== sidecar.bytes || sha256 !== sidecar.sha256) throw invalid(`it is not the file that was taken (${bytes} bytes, sha256:${sha256.slice(0, 16)}…; the record says ${sidecar.bytes} bytes, sha256:${String(sidecar.sha256).slice(0, 16)}…)`);
  return { ...sidecar, fingerprint };
}

/** SQLite: the target file must be absent or empty; the backup is copied to it byte for byte. */
export function restoreSqliteFile(file: string, url: Extract<DatabaseUrl, { dialect: 'sqlite' }>): void {
  if (existsSync(url.path) && statSync(url.path).size > 0) throw notEmpty(url.display, 'the file exists and is not empty');
  copyFileSync(file, url.path, existsSync(url.path) ? 0 : constants.COPYFILE_EXCL);
}

/** PostgreSQL: refuses a database that holds any relation, function or type outside the system schemas, or migseal's schema. */
export async function checkPostgresEmpty(driver: Driver): Promise<void> {
  const rows = await driver.query(
    `SELECT (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%')::int AS relations,
            (SELECT count(*) FROM pg_catalog.pg_namespace n WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND n.nspname NOT LIKE 'pg\\_%')::int AS schemas`,
  );
  const found = rows[0] as { relations: number; schemas: number } | undefined;
  const fingerprint = await readSchemaFingerprint(driver);
  const objects = fingerprint.objects.filter((o) => !(o.kind === 'schema' && o.name === 'public'));
  if (!found || found.relations > 0 || found.schemas > 0 || objects.length > 0) {
    throw notEmpty(driver.target, `it holds ${found?.relations ?? '?'} relation(s), ${found?.schemas ?? '?'} schema(s) besides public, and ${objects.length} schema object(s)`);
  }
}

export async function restorePostgresDump(file: string, connection: PgConnection, env: Record<string, string | undefined>): Promise<void> {
  const restore = findPgTool('pg_restore', env);
  if (typeof restore !== 'string') throw new MigsealError('IO', `pg_restore was not found (looked in ${restore.lookedIn}); nothing was restored.`);
  const pgEnv = pgEnvironment(connection, env);
  const database = pgEnv.PGDATABASE;
  delete pgEnv.PGDATABASE;
  const args = ['--exit-on-error', '--single-transaction', '--no-owner', '--no-privileges', '--no-password', ...(database ? [`--dbname=${database}`] : []), file];
  const ran = await runTool(restore, args, pgEnv, PG_RESTORE_TIMEOUT_MS);
  if (ran.code !== 0) {
    const said = ran.stderr.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? `exit ${ran.code}`;
    throw new MigsealError('DATABASE_ERROR', `pg_restore failed, and its single transaction was rolled back: ${said.replace(/\.$/, '')}.`);
  }
}

/** The restored database's schema against the fingerprint recorded with the backup. */
export async function compareRestored(driver: Driver, file: string, sidecar: BackupSidecar): Promise<RestoreReport> {
  const live = await readSchemaFingerprint(driver);
  const difference = compareFingerprints(sidecar.fingerprint, live);
  return {
    backup: file,
    database: driver.target,
    recorded: { sha256: sidecar.fingerprintSha256, takenAt: sidecar.takenAt, database: sidecar.database },
    live,
    matches: live.sha256 === sidecar.fingerprintSha256 && isSameSchema(difference),
    difference,
  };
}

const notEmpty = (target: string, why: string): MigsealError =>
  new MigsealError('RESTORE_TARGET_NOT_EMPTY', `${target} is not an empty database (${why}); a backup is restored only into an empty one, so nothing was restored. Create a fresh scratch database.`);
