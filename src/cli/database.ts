/**
 * The database a runner command works on: --db or MIGSEAL_DATABASE_URL, with the password
 * only ever from MIGSEAL_DATABASE_PASSWORD(_FILE) or PGPASSWORD, and the lock wait from
 * --lock-timeout or MIGSEAL_LOCK_TIMEOUT (seconds).
 */
import { isMigsealError, MigsealError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { lockHolderContext, lockHoldersOf } from '../apply/lock-holders.js';
import { openDatabase, parseDatabaseUrl, type DatabaseUrl, type Driver, type PostgresSessions } from '../db/index.js';
import { withDefaultWaits, type WaitLimits } from '../db/driver.js';
import { readSecret } from './io.js';

export function databaseUrl(flags: Record<string, unknown>, env: Record<string, string | undefined>, cwd: string): DatabaseUrl {
  const raw = typeof flags.db === 'string' ? flags.db : env.MIGSEAL_DATABASE_URL;
  if (!raw) throw new MigsealError('USAGE', 'Name the database with --db URL or MIGSEAL_DATABASE_URL (sqlite:PATH or postgres://user@host/db).');
  return parseDatabaseUrl(raw, cwd);
}

/** The PostgreSQL password from the environment (never from the URL). */
export function databasePassword(url: DatabaseUrl, env: Record<string, string | undefined>): string | undefined {
  return url.dialect === 'postgres' ? (readSecret(env, 'MIGSEAL_DATABASE_PASSWORD') ?? (env.PGPASSWORD || undefined)) : undefined;
}

/**
 * Every PostgreSQL session migseal opens waits for another session's lock no longer than
 * `waits` (--pg-lock-timeout and the environment's policy, as the caller read them), else
 * migseal's defaults, from its first read on: a read-only command behind a session holding
 * ACCESS EXCLUSIVE on a table it reads gives up instead of hanging.
 */
export async function connect(url: DatabaseUrl, env: Record<string, string | undefined>, readOnly = false, sessions?: PostgresSessions, waits?: Partial<WaitLimits>): Promise<Driver> {
  const password = databasePassword(url, env);
  return openDatabase(url, { readOnly, waits: withDefaultWaits(waits), ...(password !== undefined && { password }), ...(sessions && { sessions }) });
}

/**
 * Opens the database, runs fn, and always closes the connection. With `sessions` (a fleet), a
 * PostgreSQL tenant's session whose run ended cleanly goes back there for the next tenant.
 * A read that gives up waiting for a lock is DATABASE_UNAVAILABLE (exit 4: nothing ran, the same
 * command may succeed later), naming the session that held it (also as details.lockHolders).
 */
export async function withDatabase<T>(
  url: DatabaseUrl,
  env: Record<string, string | undefined>,
  readOnly: boolean,
  fn: (driver: Driver) => Promise<T>,
  sessions?: PostgresSessions,
  waits?: Partial<WaitLimits>,
): Promise<T> {
  const driver = await connect(url, env, readOnly, sessions, waits);
  let result: T;
  try {
    result = await fn(driver);
  } catch (error) {
    await driver.close().catch(() => undefined);
    // The database's own errors keep their text, with a code. One that reaches here uncoded came
    // before any migration ran (reading history, a file that is not a database): a run wraps its
    // own failures as MIGRATION_FAILED or DATABASE_ERROR (exit 3).
    // A lock timeout (a view's table locked while the schema is read) names the session that held the lock.
    if (isMigsealError(error)) throw error;
    const holders = lockHoldersOf(error);
    throw new MigsealError('DATABASE_UNAVAILABLE', `${url.display}: ${String((error as Error)?.message ?? error).replace(/\.$/, '')}${lockHolderContext(error)}.`, {
      cause: error,
      ...(holders && holders.length > 0 && { details: { lockHolders: holders } }),
    });
  }
  await driver.close(true).catch(() => undefined);
  return result;
}

export function lockTimeoutMs(flags: Record<string, unknown>, env: Record<string, string | undefined>): number {
  const raw = typeof flags['lock-timeout'] === 'string' ? flags['lock-timeout'] : env.MIGSEAL_LOCK_TIMEOUT;
  if (raw === undefined || raw === '') return LIMITS.lockTimeoutMs;
  const seconds = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(seconds)) throw new MigsealError('USAGE', `--lock-timeout takes a number of seconds, not "${raw}".`);
  return Math.round(seconds * 1000);
}
