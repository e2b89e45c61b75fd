/**
 * PostgreSQL through `pg`. A migration script goes to the server as one simple query, as
 * psql -c, golang-migrate and Prisma send it: a single statement (CREATE INDEX
 * CONCURRENTLY) runs outside any transaction, several run as one implicit transaction, and
 * a file's own BEGIN/COMMIT works. The runner lock is a session advisory lock, which the
 * server releases when the connection ends.
 *
 * A transaction's BEGIN travels in the same message as its first script ("BEGIN;" then the
 * script, as psql -1 would send it), so a migration costs the round trips of the floor it is
 * measured against: script, history row, COMMIT.
 */
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { MigsealError } from '../errors.js';
import { sleep, type ConnectOptions, type Driver, type QueryOptions, type Row } from './driver.js';

/** Advisory lock key: the first 8 bytes of SHA-256("migseal"), as a signed bigint. */
const LOCK_KEY = '7581215183639544856';
const LOCK_POLL_MS = 50;
const PREPARED_STATEMENTS = 16;
/** A script that may drop this session's prepared statements (DEALLOCATE, DISCARD ALL). */
const DROPS_PREPARED = /\b(?:deallocate|discard)\b/i;

export class PostgresDriver implements Driver {
  readonly dialect = 'postgres' as const;
  readonly target: string;
  #client: pg.Client;
  #inTransaction = false;
  /** Repeated statements' texts and their names on this connection. */
  #statements = new Map<string, string>();
  /** Bumped when a script may have dropped them: later names are new, so they are prepared again. */
  #generation = 0;
  /** Inside transaction(), BEGIN has not been sent yet: it goes with the next statement. */
  #beginPending = false;
  #locked = false;
  #lost: Error | undefined;
  /** The schema migseal's tables live in: the session's current schema when it connected. */
  #schema = 'public';

  private constructor(client: pg.Client, target: string) {
    this.#client = client;
    this.target = target;
    // A server that goes away emits 'error' on an idle client; keep it for the next call instead of crashing.
    client.on('error', (error) => {
      this.#lost = error;
    });
  }

  static async open(connectionString: string, display: string, options: ConnectOptions = {}): Promise<PostgresDriver> {
    // Parsed here: given to pg as connectionString, the URL's (absent) password would replace ours.
    const parsed = parseConnectionString(connectionString) as pg.ClientConfig;
    const client = new pg.Client({
      ...parsed,
      application_name: 'migseal',
      ...(options.password !== undefined && { password: options.password }),
    });
    const driver = new PostgresDriver(client, display);
    try {
      await client.connect();
      if (options.readOnly) await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
      const schema = (await client.query('SELECT current_schema() AS schema')).rows[0]?.schema;
      if (typeof schema === 'string' && schema !== '') driver.#schema = schema;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new MigsealError('DATABASE_ERROR', `Cannot connect to ${display}: ${(error as Error).message}.`, { cause: error });
    }
    return driver;
  }

  async exec(sql: string): Promise<void> {
    this.#check();
    const text = this.#beginPending ? `BEGIN;\n${sql}` : sql;
    this.#beginPending = false;
    if (DROPS_PREPARED.test(sql)) this.#forgetStatements();
    try {
      await this.#client.query(text);
    } catch (error) {
      // A failed script that opened its own transaction leaves the session in it; end it.
      if (!this.#inTransaction) await this.#client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  async query(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}): Promise<Row[]> {
    this.#check();
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    await this.#sendPendingBegin();
    // A named statement is parsed and planned once per connection; the server replans it itself after DDL.
    const name = options.repeated ? this.#statementName(text) : undefined;
    const result = await this.#client.query({ text, values: params as unknown[], ...(name && { name }) });
    return result.rows as Row[];
  }

  #statementName(text: string): string | undefined {
    let name = this.#statements.get(text);
    if (!name && this.#statements.size < PREPARED_STATEMENTS) this.#statements.set(text, (name = `migseal_${this.#generation}_${this.#statements.size + 1}`));
    return name;
  }

  #forgetStatements(): void {
    this.#statements.clear();
    this.#generation++;
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    this.#check();
    this.#inTransaction = true;
    this.#beginPending = true;
    try {
      const result = await fn();
      // Nothing was sent: there is no transaction to commit.
      if (!this.#beginPending) await this.#client.query('COMMIT');
      return result;
    } catch (error) {
      // A script that did not parse never ran its BEGIN either; ROLLBACK then only warns.
      if (!this.#beginPending) await this.#client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      this.#inTransaction = false;
      this.#beginPending = false;
    }
  }

  /** Parameterised statements go in the extended protocol, which takes one statement: BEGIN goes first on its own. */
  async #sendPendingBegin(): Promise<void> {
    if (!this.#beginPending) return;
    this.#beginPending = false;
    await this.#client.query('BEGIN');
  }

  async hasTable(name: string): Promise<boolean> {
    const rows = await this.query('SELECT to_regclass(?) IS NOT NULL AS present', [name]);
    return rows[0]?.present === true;
  }

  table(name: string): string {
    return `"${this.#schema.replace(/"/g, '""')}".${name}`;
  }

  async lock(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await this.query(`SELECT pg_try_advisory_lock(${LOCK_KEY}) AS locked`);
      if (rows[0]?.locked === true) {
        this.#locked = true;
        return;
      }
      if (Date.now() >= deadline) {
        throw new MigsealError(
          'LOCK_TIMEOUT',
          `Another migseal runner holds the lock on ${this.target}; gave up after ${timeoutMs} ms. Wait for it to finish, or raise --lock-timeout.`,
        );
      }
      await sleep(LOCK_POLL_MS);
    }
  }

  async unlock(): Promise<void> {
    if (!this.#locked) return;
    this.#locked = false;
    await this.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.unlock();
    await this.#client.end().catch(() => undefined);
  }

  #check(): void {
    if (this.#lost) throw new MigsealError('DATABASE_ERROR', `The connection to ${this.target} was lost: ${this.#lost.message}.`, { cause: this.#lost });
  }
}
