/**
 * PostgreSQL gave up waiting for a lock (55P03): who held it, as the blocker watch last saw
 * them (src/db/postgres-blockers.ts), in the sentence apply's failure and rehearse's report
 * both end with. Pure: the server's error.
 */
import { describeHolders, LOCK_NOT_AVAILABLE, type LockHolder } from '../db/postgres-blockers.js';
import { redactString } from '../audit/redact.js';

/**
 * The holders the watch attached to a lock timeout, or undefined for any other error (or none
 * watched). Another session's query is its text: credentials in it (a URL's password, a
 * `password=` pair) are redacted here, so neither the message nor `details.lockHolders` shows them.
 */
export function lockHoldersOf(cause: unknown): LockHolder[] | undefined {
  const e = lockTimeoutIn(cause) as { holders?: LockHolder[] } | undefined;
  if (e?.holders === undefined) return undefined;
  return e.holders.map((h) => ({ ...h, query: h.query === null ? null : redactString(h.query) }));
}

/** The server's lock timeout (55P03) that `error` is, or was caused by (a coded error wrapping it), if any. */
function lockTimeoutIn(error: unknown): object | undefined {
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === LOCK_NOT_AVAILABLE) return e;
  }
  return undefined;
}

/** ". It waited for AccessExclusiveLock on accounts held by pid 4242 (…). Let that session finish, …", or "". */
export function lockHolderContext(cause: unknown): string {
  const holders = lockHoldersOf(cause);
  if (holders === undefined) return '';
  if (holders.length === 0) return '. No session was seen holding the lock it waited for (the wait was shorter than the look-up interval)';
  const wanted = holders[0]!.wanted;
  const first = holders[0]!.pid;
  return `. It waited for ${wanted === null ? 'a lock' : `${wanted}`} held by ${describeHolders(holders)}. Let ${holders.length === 1 ? 'that session' : 'those sessions'} finish, end ${holders.length === 1 ? 'it' : 'them'} (SELECT pg_terminate_backend(${first})), or allow a longer wait with --pg-lock-timeout`;
}

/** Whether `error`, or an error it was caused by, is PostgreSQL giving up waiting for a lock (55P03). */
export function gaveUpOnLock(error: unknown): boolean {
  return lockTimeoutIn(error) !== undefined;
}
