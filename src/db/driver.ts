/**
 * The database boundary: the few operations the runner needs, so another database is one
 * more small file. A driver runs whole migration scripts as the database's own tools would
 * and keeps one runner per database with a lock that the database releases if we die.
 */
import { MigsealError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { PostgresSessions } from './postgres-sessions.js';

export type DriverDialect = 'sqlite' | 'postgres';

export type Row = Record<string, unknown>;

export interface Driver {
  readonly dialect: DriverDialect;
  /** Where the driver is connected, safe to print (never a password). */
  readonly target: string;
  /**
   * The one schema this connection's migrations own, when they own only one (a PostgreSQL
   * tenant's `?schema=`): what the schema fingerprint describes. Undefined: the whole database.
   */
  readonly ownSchema?: string;
  /** Runs a whole script (any number of statements) as the database's own tools send a file. */
  exec(sql: string): Promise<void>;
  /**
   * Runs one statement with `?` placeholders and returns its rows (PostgreSQL also reads `$1`,
   * `$2`… as they are, for a statement that names one parameter twice). `repeated`: the runner
   * sends this statement again and again (a history row per migration), so the driver may
   * prepare it once per connection.
   */
  query(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<Row[]>;
  /**
   * Runs fn inside one transaction: all of it commits, or none of it. A script run by exec
   * inside it that ends the transaction itself and then fails throws TransactionEnded.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Inside transaction(), after a script: asks the database whether the transaction
   * transaction() opened is still the one open. When the script ended it (COMMIT, END,
   * ROLLBACK, COMMIT AND CHAIN...), nothing more is written in it and TransactionEnded is
   * thrown, at the latest when the transaction would commit. On PostgreSQL the question
   * travels with the next message, ahead of the statements in it.
   */
  checkTransactionOpen(): Promise<void>;
  /**
   * PostgreSQL, inside transaction() before anything of it was sent: holds a migration script
   * to travel in one message with BEGIN, the statements held before it, the transaction check
   * (checkTransactionOpen, called next) and the statements held after it, and COMMIT, so the
   * migration costs one round trip. Returns a number that stands for the script's duration in
   * milliseconds as the server measures it: as a parameter of a statement held for COMMIT, or
   * inside a string parameter (a JSON text that records it), the server puts the duration in
   * its place. heldScriptMs() then gives that duration. When the script failed, or ended the
   * transaction and failed, transaction() throws HeldScriptFailed carrying what exec would
   * have thrown. Undefined: the script is not held; run it with exec.
   */
  holdScript?(sql: string): number | undefined;
  /** The duration, in milliseconds, of the script the last transaction() held (holdScript), as the server measured it. */
  heldScriptMs?(): number;
  /** Whether a table exists (a bare name resolves as the session would resolve it). */
  hasTable(name: string): Promise<boolean>;
  /**
   * How migseal names one of its own tables in SQL, fully qualified in a fixed place, so no
   * migration can move or shadow them: SQLite's `main.` (never a `temp` table of the same
   * name), PostgreSQL's `migseal` schema (never where a search path, a role default or a
   * new schema would resolve a bare name).
   */
  table(name: string): string;
  /**
   * A table in the schema the session's search path pointed at when it connected, fixed
   * then: where peer tools keep their history tables (never migseal's own, see table()).
   */
  sessionTable(name: string): string;
  /**
   * Makes the fixed place exist before migseal first writes there. A database whose history
   * an older migseal kept where the session's search path pointed has it moved there.
   */
  fixHistoryPlace(tables: readonly string[]): Promise<void>;
  /** An SQL expression for the lowercase hex SHA-256 of the UTF-8 text `expression`. */
  sha256(expression: string): string;
  /**
   * PostgreSQL: the lock_timeout and statement_timeout every later statement runs with: set
   * for the session now (migseal's own reads of the catalog and history included), and again
   * in each transaction and before each non-transactional script, so a migration's own SET
   * wins inside it and never outlives it. Drivers without them ignore it.
   */
  limitWaits?(limits: WaitLimits): Promise<void>;
  /**
   * PostgreSQL: runs `read` (migseal's own reads of the catalog) watching who blocks this
   * session, as a script is watched, so a lock timeout in it names the session that held the lock.
   */
  watchLocks?<T>(read: () => Promise<T>): Promise<T>;
  /**
   * SQLite: copies the database to `path` (an existing empty file) through SQLite's online
   * backup API, consistent while this connection holds the runner lock.
   */
  onlineBackup?(path: string): Promise<void>;
  /**
   * Takes the one-runner-per-database lock, waiting at most timeoutMs (LOCK_TIMEOUT after).
   * `owner` says who holds it, for a runner that waits for it (see LockOwner).
   */
  lock(timeoutMs: number, owner?: LockOwner): Promise<void>;
  unlock(): Promise<void>;
  /**
   * Ends the connection. `reuse`: the run on it ended cleanly, so a PostgreSQL tenant's
   * session opened with ConnectOptions.sessions goes back there (reset) instead.
   */
  close(reuse?: boolean): Promise<void>;
}

/**
 * Who takes the runner lock, as a runner that waits for it is told: the command and the release
 * it runs (project and version), never its arguments (a URL, a file) or anything secret.
 */
export interface LockOwner {
  command: string;
  /** "PROJECT VERSION" of the release the command runs, if it runs one. */
  release?: string;
}

/** "migseal apply shop 1.4.0": how a runner names itself (PostgreSQL's application_name, SQLite's holder record). */
export function runnerName(owner: LockOwner | undefined): string {
  return ['migseal', owner?.command, owner?.release].filter((part) => part !== undefined && part !== '').join(' ');
}

/** How long a statement may wait for a lock, and run, in milliseconds; 0 is no limit. */
export interface WaitLimits {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

/** `limits` with what they leave unset taken from migseal's defaults (LIMITS.pgLockTimeoutMs, pgStatementTimeoutMs). */
export function withDefaultWaits(limits: Partial<WaitLimits> | undefined): WaitLimits {
  return { lockTimeoutMs: limits?.lockTimeoutMs ?? LIMITS.pgLockTimeoutMs, statementTimeoutMs: limits?.statementTimeoutMs ?? LIMITS.pgStatementTimeoutMs };
}

export interface QueryOptions {
  repeated?: boolean;
  /**
   * The statement returns nothing and belongs to the transaction it runs in: inside
   * transaction() the driver may hold it and send it ahead of whatever it sends next there
   * (the next script, statement or the COMMIT), in the order given, and its failure fails
   * the transaction then. Outside one, it runs at once.
   */
  atCommit?: boolean;
}

export interface ConnectOptions {
  /** Open without the possibility of writing (plan, status, history). */
  readOnly?: boolean;
  /** From PGPASSWORD, MIGSEAL_DATABASE_PASSWORD or MIGSEAL_DATABASE_PASSWORD_FILE; never from a URL. */
  password?: string;
  /** A fleet's kept PostgreSQL sessions: a tenant schema's connection may take one, and give it back on close(true). */
  sessions?: PostgresSessions;
  /**
   * PostgreSQL: the lock_timeout and statement_timeout the session has from its first read on,
   * set in the same message as that read (as limitWaits would set them), so no command's read
   * waits for another session's lock for ever.
   */
  waits?: WaitLimits;
}

/** A script ended the runner's transaction itself: what it did before that may be committed. */
export class TransactionEnded extends MigsealError {
  constructor(cause?: unknown) {
    super('MIGRATION_PARTLY_COMMITTED', 'the script ended the transaction the runner opened for it', cause === undefined ? {} : { cause });
  }
}

/**
 * Thrown by transaction() when the script it held (Driver.holdScript) failed: `cause` is what
 * exec would have thrown for it (the server's error, or TransactionEnded). The runner turns it
 * into its own failure of the migration, as it does exec's errors; it never reaches the operator.
 */
export class HeldScriptFailed extends Error {
  constructor(override readonly cause: unknown) {
    super((cause as Error)?.message ?? String(cause), { cause });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
