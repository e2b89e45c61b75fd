/**
 * The database boundary: the few operations the runner needs, so another database is one
 * more small file. A driver runs whole migration scripts as the database's own tools would
 * and keeps one runner per database with a lock that the database releases if we die.
 */
import { MigsealError } from '../errors.js';

export type DriverDialect = 'sqlite' | 'postgres';

export type Row = Record<string, unknown>;

export interface Driver {
  readonly dialect: DriverDialect;
  /** Where the driver is connected, safe to print (never a password). */
  readonly target: string;
  /** Runs a whole script (any number of statements) as the database's own tools send a file. */
  exec(sql: string): Promise<void>;
  /**
   * Runs one statement with `?` placeholders and returns its rows. `repeated`: the runner
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
  /** Whether a table exists (a bare name resolves as the session would resolve it). */
  hasTable(name: string): Promise<boolean>;
  /**
   * How migseal names one of its own tables in SQL: fixed at connect time, so a migration
   * that changes the session's search path (pg_dump output sets it to '') cannot move them.
   */
  table(name: string): string;
  /** Takes the one-runner-per-database lock, waiting at most timeoutMs (LOCK_TIMEOUT after). */
  lock(timeoutMs: number): Promise<void>;
  unlock(): Promise<void>;
  close(): Promise<void>;
}

export interface QueryOptions {
  repeated?: boolean;
  /**
   * The statement returns nothing and belongs to the transaction it runs in: inside
   * transaction() the driver may send it with the COMMIT, and its failure fails the
   * transaction then. Outside one, it runs at once.
   */
  atCommit?: boolean;
}

export interface ConnectOptions {
  /** Open without the possibility of writing (plan, status, history). */
  readOnly?: boolean;
  /** From PGPASSWORD, MIGSEAL_DATABASE_PASSWORD or MIGSEAL_DATABASE_PASSWORD_FILE; never from a URL. */
  password?: string;
}

/** A script ended the runner's transaction itself: what it did before that may be committed. */
export class TransactionEnded extends MigsealError {
  constructor(cause?: unknown) {
    super('MIGRATION_PARTLY_COMMITTED', 'the script ended the transaction the runner opened for it', cause === undefined ? {} : { cause });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
