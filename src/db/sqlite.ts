/**
 * SQLite through better-sqlite3. The runner lock is an exclusive SQLite lock on a small
 * side file (`DB-migseal-lock`): the operating system drops it if the process dies, and
 * it never blocks readers of the database itself. The runner holding it says who it is in
 * another (`DB-migseal-lock-holder`, see sqlite-lock-holder.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { MigsealError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { describeFileError, isFileError, unwritableFile } from './sqlite-file-errors.js';
import { holderRecordPath, readHolder, describeHolder, removeHolderRecord, writeHolderRecord, type HolderState } from './sqlite-lock-holder.js';
import { runnerName, sleep, TransactionEnded, type ConnectOptions, type Driver, type LockOwner, type QueryOptions, type Row } from './driver.js';

const LOCK_POLL_MS = 25;
const PREPARED_STATEMENTS = 32;
/** SHA-256 for SQL (the history chain), registered on migseal's own connection only. */
const SHA256_FUNCTION = 'migseal_sha256';
/** Errors after which SQLite rolls the transaction back on its own (https://sqlite.org/lang_transaction.html). */
const ROLLS_BACK_ITSELF = /^SQLITE_(?:FULL|IOERR|BUSY|NOMEM|INTERRUPT)/;

/**
 * better-sqlite3, loaded by the first SQLite connection rather than imported: in a command's
 * one-file build a static import of it is hoisted to the top, and loading its native addon
 * cost every PostgreSQL run about 35 million instructions for a driver it never opens.
 */
let sqlite: typeof Database | undefined;
const openSqlite = (path: string, options?: Database.Options): Database.Database => new (sqlite ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database)(path, options);

/** PRAGMA integrity_check on a database file, opened read-only: 'ok', or what SQLite found. */
export function sqliteIntegrity(path: string): string {
  const db = openSqlite(path, { readonly: true, fileMustExist: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

export class SqliteDriver implements Driver {
  readonly dialect = 'sqlite' as const;
  readonly target: string;
  #db: Database.Database;
  #path: string;
  #lockDb: Database.Database | undefined;
  /** The holder record this runner wrote beside its lock, removed before the lock is let go (or the process exits). */
  #holderRecord: string | undefined;
  /** The connection was switched to TRUNCATE journaling for the run (see `lock`). */
  #truncating = false;
  #inTransaction = false;
  /**
   * The statements sent most recently, prepared once per connection (SQLite prepares one
   * again itself after a schema change): the runner's per-migration statements (history,
   * chain, a peer tool's table) are each prepared once per run rather than once per migration.
   * Keeping a prepared statement costs only memory in-process, so any statement is kept, the
   * least recently used one dropped first.
   */
  #statements = new Map<string, Database.Statement>();
  /** Opening created the file: if nothing was ever written to it, close removes it again. */
  #created: boolean;

  private constructor(db: Database.Database, path: string, created = false) {
    this.#db = db;
    this.#path = path;
    this.#created = created;
    this.target = `sqlite:${path}`;
  }

  /** Opens the database; a read-only open of a missing file gives an empty in-memory database, creating nothing. */
  static open(path: string, options: ConnectOptions = {}): SqliteDriver {
    try {
      if (options.readOnly && path !== ':memory:' && !existsSync(path)) return new SqliteDriver(openSqlite(':memory:'), path);
      const created = path !== ':memory:' && !existsSync(path);
      const db = openSqlite(path, { readonly: options.readOnly === true, fileMustExist: options.readOnly === true });
      db.pragma(`busy_timeout = ${LIMITS.sqliteBusyTimeoutMs}`);
      db.function(SHA256_FUNCTION, { deterministic: true }, (text: unknown) => createHash('sha256').update(String(text), 'utf8').digest('hex'));
      return new SqliteDriver(db, path, created);
    } catch (error) {
      throw new MigsealError('DATABASE_UNAVAILABLE', `Cannot open the SQLite database ${path}: ${unwritableFile([path])?.slice(path.length + 2) ?? describeFileError(error, [path])}.`, { cause: error });
    }
  }

  async exec(sql: string): Promise<void> {
    try {
      this.#db.exec(sql);
    } catch (error) {
      // A failed script that opened its own transaction must not leave it open.
      if (!this.#inTransaction && this.#db.inTransaction) this.#db.exec('ROLLBACK');
      // Back in autocommit inside transaction(): the script ended it before failing (unless SQLite rolled it back itself).
      if (this.#inTransaction && !this.#db.inTransaction && !ROLLS_BACK_ITSELF.test(String((error as { code?: unknown }).code))) throw new TransactionEnded(error);
      throw this.#namingFile(error);
    }
  }

  async onlineBackup(path: string): Promise<void> {
    await this.#db.backup(path);
  }

  /** SQLite's autocommit state: inside transaction() the connection must still be in one. */
  async checkTransactionOpen(): Promise<void> {
    if (this.#inTransaction && !this.#db.inTransaction) throw new TransactionEnded();
  }

  async query(sql: string, params: readonly unknown[] = [], _options: QueryOptions = {}): Promise<Row[]> {
    let statement = this.#statements.get(sql);
    if (statement) this.#statements.delete(sql);
    else {
      statement = this.#db.prepare(sql);
      if (this.#statements.size >= PREPARED_STATEMENTS) this.#statements.delete(this.#statements.keys().next().value!);
    }
    this.#statements.set(sql, statement);
    if (statement.reader) return statement.all(...params) as Row[];
    statement.run(...params);
    return [];
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    try {
      this.#db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      throw this.#namingFile(error);
    }
    this.#inTransaction = true;
    try {
      const result = await fn();
      await this.checkTransactionOpen();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      throw error;
    } finally {
      this.#inTransaction = false;
    }
  }

  /** A bare name is looked up in the main database; `main.name` too (migseal's own tables). */
  async hasTable(name: string): Promise<boolean> {
    const bare = name.startsWith('main.') ? name.slice('main.'.length) : name;
    return this.#db.prepare("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ?").get(bare) !== undefined;
  }

  table(name: string): string {
    return `main.${name}`;
  }

  sessionTable(name: string): string {
    return name;
  }

  async fixHistoryPlace(): Promise<void> {
    // main is always there.
  }

  sha256(expression: string): string {
    return `${SHA256_FUNCTION}(${expression})`;
  }

  async lock(timeoutMs: number, owner?: LockOwner): Promise<void> {
    if (this.#path === ':memory:') return;
    const lockPath = `${lockBase(this.#path)}-migseal-lock`;
    let lockDb: Database.Database;
    try {
      lockDb = openSqlite(lockPath);
      lockDb.pragma('busy_timeout = 0');
    } catch (error) {
      throw new MigsealError('DATABASE_UNAVAILABLE', `Cannot take the runner lock for ${this.target}: ${describeFileError(error, [lockPath])}.`, { cause: error });
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        lockDb.exec('BEGIN EXCLUSIVE');
        this.#lockDb = lockDb;
        // Who holds it, for a runner that waits (sqlite-lock-holder.ts): written over whatever a dead runner left there.
        this.#holderRecord = holderRecordPath(lockPath);
        writeHolderRecord(this.#holderRecord, runnerName(owner));
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY') {
          lockDb.close();
          throw new MigsealError('DATABASE_UNAVAILABLE', `Cannot take the runner lock for ${this.target}: ${describeFileError(error, [lockPath])}.`, { cause: error });
        }
      }
      if (Date.now() >= deadline) {
        lockDb.close();
        // Which runner: the record it wrote beside the lock, and whether that process still runs here.
        const holder = readHolder(holderRecordPath(lockPath));
        throw new MigsealError(
          'LOCK_TIMEOUT',
          `Another migseal runner holds the lock on ${this.target} (${lockPath})${describeHolder(holder)}; gave up after ${timeoutMs} ms. Wait for it to finish, or raise --lock-timeout.`,
          { details: { lockHolder: holderDetails(holder) } },
        );
      }
      await sleep(LOCK_POLL_MS);
    }
    // Every runner command writes: a database or journal it cannot write is found before anything runs.
    const culprit = unwritableFile(this.#writtenFiles());
    if (culprit) {
      await this.unlock();
      throw new MigsealError('DATABASE_UNAVAILABLE', `Cannot write ${this.target}: ${culprit}.`);
    }
    this.#commitByTruncating();
  }

  /** The files a write to this database creates or changes: the database and its journal (or write-ahead log). */
  #writtenFiles(): string[] {
    const wal = existsSync(`${this.#path}-wal`);
    return [this.#path, ...(wal ? [`${this.#path}-wal`, `${this.#path}-shm`] : [`${this.#path}-journal`])];
  }

  /** SQLite's "readonly database" and "unable to open" name no file: name the one this process cannot write. */
  #namingFile(error: unknown): unknown {
    if (!isFileError(error) || !(error instanceof Error)) return error;
    error.message = describeFileError(error, this.#writtenFiles());
    return error;
  }

  /**
   * While migseal holds the runner lock, its connection ends each transaction by truncating
   * the rollback journal instead of deleting it. The commit is as atomic and durable (under
   * synchronous=FULL SQLite syncs the truncation), without creating and removing a file for
   * every migration. A rollback journal's mode belongs to the connection, so nobody else
   * sees the change; only the default DELETE mode is switched (WAL and any mode someone
   * chose are left alone), and unlock switches back, which removes the empty journal file.
   */
  #commitByTruncating(): void {
    try {
      if (this.#db.readonly || this.#db.pragma('journal_mode', { simple: true }) !== 'delete') return;
      this.#db.pragma('journal_mode = TRUNCATE');
      this.#truncating = true;
    } catch {
      // Not a database, say: the mode stays, and the first read reports the problem.
    }
  }

  async unlock(): Promise<void> {
    if (this.#truncating) {
      this.#truncating = false;
      try {
        this.#db.pragma('journal_mode = DELETE');
      } catch {
        // The mode is the connection's own and ends with it; close follows.
      }
    }
    const lockDb = this.#lockDb;
    this.#lockDb = undefined;
    // The record goes first, while the lock is still this runner's: the next holder's record is never removed.
    if (this.#holderRecord !== undefined) {
      removeHolderRecord(this.#holderRecord);
      this.#holderRecord = undefined;
    }
    if (lockDb) {
      lockDb.exec('ROLLBACK');
      lockDb.close();
    }
  }

  async close(): Promise<void> {
    await this.unlock();
    this.#db.close();
    // A refused run on a database that did not exist leaves no empty file behind.
    if (this.#created && existsSync(this.#path) && statSync(this.#path).size === 0) unlinkSync(this.#path);
  }
}

/** The same lock file for every spelling of the path (symlinks, relative paths), whether the database exists yet or not. */
function lockBase(path: string): string {
  try {
    return existsSync(path) ? realpathSync(path) : join(realpathSync(dirname(path)), basename(path));
  } catch {
    return path;
  }
}

/** The holder for --json (details.lockHolder): what its record says, and whether its process runs here. */
function holderDetails(holder: HolderState): Record<string, unknown> {
  if (holder.state === 'unrecorded') return { state: holder.state };
  if (holder.state === 'unreadable') return { state: holder.state, reason: holder.reason };
  const { pid, host, user, command, lockedAt } = holder.record;
  return { state: holder.state, pid, host, user, command, lockedAt };
}
