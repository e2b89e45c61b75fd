/**
 * An exclusive lock between processes that append to the same audit log. It is a POSIX
 * record lock (fcntl) on `LOG.lock`, taken through SQLite's `BEGIN EXCLUSIVE`: Node has no
 * flock/fcntl of its own, and a record lock is released by the kernel when its process
 * dies, so a runner killed mid-append never leaves a stale lock behind.
 */
import Database from 'better-sqlite3';
import { MigsealError } from '../errors.js';
import { LIMITS } from '../limits.js';

export function withFileLock<T>(lockPath: string, action: () => T, timeoutMs: number = LIMITS.auditLockTimeoutMs): T {
  let db: Database.Database;
  try {
    db = new Database(lockPath, { timeout: timeoutMs });
  } catch (error) {
    throw new MigsealError('IO', `Cannot open the audit log lock ${lockPath}.`, { cause: error });
  }
  try {
    try {
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      throw new MigsealError('LOCK_TIMEOUT', `Another process held the audit log lock ${lockPath} for more than ${timeoutMs} ms.`, { cause: error });
    }
    try {
      return action();
    } finally {
      db.exec('ROLLBACK');
    }
  } finally {
    db.close();
  }
}
