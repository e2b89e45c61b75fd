/**
 * PostgreSQL through `pg`. A migration script goes to the server as one simple query, as
 * psql -c, golang-migrate and Prisma send it: a single statement (CREATE INDEX
 * CONCURRENTLY) runs outside any transaction, several run as one implicit transaction, and
 * a file's own BEGIN/COMMIT works. The runner lock is a session advisory lock, which the
 * server releases when the connection ends.
 *
 * A transaction's BEGIN travels in the same message as its first script ("BEGIN;" then the
 * script, as psql -1 would send it), with the rows that must be written before the script
 * (a peer tool's dirty row), and its history rows travel with its COMMIT (EXECUTEs of
 * statements prepared once per connection): a migration costs two round trips.
 */
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { MigsealError } from '../errors.js';
import { sleep, TransactionEnded, type ConnectOptions, type Driver, type QueryOptions, type Row, type WaitLimits } from './driver.js';
import { advisoryLockHolders, BlockerWatch, describeHolders } from './postgres-blockers.js';
import { PostgresSessions } from './postgres-sessions.js';

/** Advisory lock key: the first 8 bytes of SHA-256("migseal"), as a signed bigint. */
const LOCK_KEY = '7581215183639544856';
/** A tenant schema's lock key: the first 8 bytes of SHA-256("migseal schema " + its name), so tenants of one database run side by side. */
const schemaLockKey = (schema: string): string => createHash('sha256').update(`migseal schema ${schema}`, 'utf8').digest().readBigInt64BE(0).toString();
const LOCK_POLL_MS = 50;
const PREPARED_STATEMENTS = 16;

/** A multi-statement simple query answers with one result per statement: the rows are the last one's. */
const lastRows = (result: pg.QueryResult | pg.QueryResult[]): Row[] => ((Array.isArray(result) ? result.at(-1)?.rows : result.rows) ?? []) as Row[];
/**
 * How the runner knows its transaction is still the one it opened. BEGIN travels with two
 * settings holding a random token: one local to the transaction (gone once it ends, even
 * by COMMIT AND CHAIN), and one for the session, which survives only if the transaction
 * committed. The check divides by zero unless the local one still holds the token, so the
 * statements sent after it in the same message (the history row, COMMIT) never run without it.
 */
const beginWithToken = (token: string, limits: WaitLimits | undefined): string =>
  `BEGIN;\nSELECT pg_catalog.set_config('migseal.xact', '${token}', true), pg_catalog.set_config('migseal.began', '${token}', false)${limits ? `, ${setLimits(limits, true)}` : ''}`;
/** set_config calls for the wait limits (integers: milliseconds), local to the transaction or for the session. */
const setLimits = (limits: WaitLimits, local: boolean): string =>
  `pg_catalog.set_config('lock_timeout', '${Math.trunc(limits.lockTimeoutMs)}', ${local}), pg_catalog.set_config('statement_timeout', '${Math.trunc(limits.statementTimeoutMs)}', ${local})`;
/** How often the blocker watch asks who blocks the runner: four times per lock_timeout, at most once a second. */
const watchInterval = (lockTimeoutMs: number): number => Math.min(1000, Math.max(50, Math.floor(lockTimeoutMs / 4)));
const CHECK_MARK = 'migseal_transaction_check';
const checkToken = (token: string): string => `SELECT 1 / coalesce((pg_catalog.current_setting('migseal.xact', true) OPERATOR(pg_catalog.=) '${token}')::int, 0) AS ${CHECK_MARK}`;
const DIVISION_BY_ZERO = '22012';

/** Where migseal keeps its tables: a schema of its own, named in every statement, so no search path can move them. */
const HISTORY_SCHEMA = 'migseal';
const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * The schema holding migseal's tables: HISTORY_SCHEMA, unless only an older migseal's tables
 * exist, in the session's current schema (then they stay there until fixHistoryPlace moves them);
 * whether it holds them already; and the session's current schema.
 */
async function historySchema(client: pg.Client, waits: WaitLimits | undefined): Promise<[string, boolean, string | null]> {
  const { rows } = await client.query(
    `SELECT ${waits ? `${setLimits(waits, false)}, ` : ''}pg_catalog.to_regclass('${HISTORY_SCHEMA}.migseal_migrations') IS NOT NULL AS fixed, pg_catalog.current_schema() AS current,
       pg_catalog.to_regclass(pg_catalog.quote_ident(pg_catalog.current_schema()) || '.migseal_migrations') IS NOT NULL AS older`,
  );
  const row = rows[0] as { fixed: boolean; current: string | null; older: boolean | null } | undefined;
  const current = row?.current ?? null;
  if (row?.fixed) return [HISTORY_SCHEMA, true, current];
  if (!row || !row.older || !row.current) return [HISTORY_SCHEMA, false, current];
  return [row.current, false, current];
}

/** A script that may drop this session's prepared statements (DEALLOCATE, DISCARD ALL). */
const DROPS_PREPARED = /\b(?:deallocate|discard)\b/i;

export class PostgresDriver implements Driver {
  readonly dialect = 'postgres' as const;
  readonly target: string;
  #client: pg.Client;
  #inTransaction = false;
  /** Repeated statements' texts and their prepared names on this connection. */
  #prepared = new Map<string, string>();
  /** EXECUTEs held back inside transaction(), to travel with its COMMIT. */
  #atCommit: string[] = [];
  /** Bumped when a script may have dropped them: later names are new, so they are prepared again. */
  #generation = 0;
  /** Inside transaction(), BEGIN has not been sent yet: it goes with the next statement. */
  #beginPending = false;
  /** The open transaction()'s token (see beginWithToken): this connection's random prefix and a count, new for each transaction. */
  #token = '';
  #tokenPrefix = randomBytes(12).toString('hex');
  #transactions = 0;
  #locked = false;
  #lost: Error | undefined;
  /** The schema migseal's tables live in: HISTORY_SCHEMA, or where an older migseal left them until they move. */
  #schema = HISTORY_SCHEMA;
  /** The session's current schema when it connected (where peer tools keep their tables). */
  #sessionSchema = 'public';
  /** HISTORY_SCHEMA already holds migseal's tables. */
  #placeReady = false;
  /** A tenant's schema (?schema=): the search path, and where this tenant's history and lock are. */
  #tenant: string | undefined;
  #lockKey = LOCK_KEY;

  get ownSchema(): string | undefined {
    return this.#tenant;
  }

  /** lock_timeout and statement_timeout for each transaction and script (limitWaits). */
  #limits: WaitLimits | undefined;
  /** The runner's backend, and who blocks it while a script waits for a lock. */
  #pid = 0;
  #watch: BlockerWatch;
  #watching = false;

  /** A fleet's kept sessions, and this session's key there, when it may go back after a clean run. */
  #sessions: PostgresSessions | undefined;
  #sessionKey = '';
  #closed = false;
  /** A server that goes away emits 'error' on an idle client; keep it for the next call instead of crashing. */
  #onError = (error: Error): void => {
    this.#lost = error;
  };

  private constructor(client: pg.Client, target: string, config: pg.ClientConfig) {
    this.#client = client;
    this.target = target;
    this.#watch = new BlockerWatch(config);
    client.on('error', this.#onError);
  }

  static async open(connectionString: string, display: string, options: ConnectOptions = {}, schema?: string): Promise<PostgresDriver> {
    // Parsed here: given to pg as connectionString, the URL's (absent) password would replace ours.
    const parsed = parseConnectionString(connectionString) as pg.ClientConfig;
    const config: pg.ClientConfig = {
      ...parsed,
      application_name: 'migseal',
      ...(options.password !== undefined && { password: options.password }),
    };
    // A tenant of a fleet may take a session an earlier tenant of the same database and role left clean (postgres-sessions.ts).
    const sessionKey = options.sessions && schema !== undefined ? PostgresSessions.key(connectionString, options.password, options.readOnly === true) : undefined;
    const kept = sessionKey === undefined ? undefined : options.sessions!.take(sessionKey);
    const client = kept ?? new pg.Client(config);
    const driver = new PostgresDriver(client, display, config);
    if (sessionKey !== undefined) {
      driver.#sessions = options.sessions;
      driver.#sessionKey = sessionKey;
    }
    if (options.waits) driver.#limits = options.waits;
    try {
      if (!kept) await client.connect();
      // The server's pid for this session (BackendKeyData): whom the blocker watch asks about.
      driver.#pid = Number((client as unknown as { processID?: number }).processID ?? 0);
      if (options.readOnly) await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
      if (schema !== undefined) {
        // One tenant's schema: its migrations resolve names there, and its history is kept there, apart from every other tenant's.
        await client.query(`SELECT ${options.waits ? `${setLimits(options.waits, false)}, ` : ''}pg_catalog.set_config('search_path', pg_catalog.quote_ident($1), false)`, [schema]);
        const { rows } = await client.query('SELECT pg_catalog.to_regclass(pg_catalog.quote_ident($1) || \'.migseal_migrations\') IS NOT NULL AS ready', [schema]);
        driver.#tenant = schema;
        driver.#schema = schema;
        driver.#sessionSchema = schema;
        driver.#placeReady = rows[0]?.ready === true;
        driver.#lockKey = schemaLockKey(schema);
        return driver;
      }
      let current: string | null;
      [driver.#schema, driver.#placeReady, current] = await historySchema(client, options.waits);
      if (typeof current === 'string' && current !== '') driver.#sessionSchema = current;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new MigsealError('DATABASE_UNAVAILABLE', `Cannot connect to ${display}: ${describeConnectError(error)}.`, { cause: error });
    }
    return driver;
  }

  async limitWaits(limits: WaitLimits): Promise<void> {
    this.#check();
    this.#limits = limits;
    await this.#client.query(`SELECT ${setLimits(limits, false)}`);
  }

  async watchLocks<T>(read: () => Promise<T>): Promise<T> {
    return this.#watched(read);
  }

  /**
   * Runs `send` watching who blocks this session while lock_timeout bounds its waits, so that
   * any statement that gives up waiting for a lock (a script, migseal's own reads of the
   * history, a peer tool's table or the catalog) names the session that held it. One watch at
   * a time: a statement sent inside a watched read is already watched.
   */
  async #watched<T>(send: () => Promise<T>): Promise<T> {
    const lockMs = this.#limits?.lockTimeoutMs ?? 0;
    if (this.#watching || lockMs <= 0 || this.#pid <= 0) return send();
    this.#watching = true;
    try {
      return await this.#watch.watch(this.#pid, watchInterval(lockMs), send);
    } finally {
      this.#watching = false;
    }
  }

  async exec(sql: string): Promise<void> {
    this.#check();
    // Outside a transaction the limits are the session's: a script sent alone (CREATE INDEX CONCURRENTLY) must stay alone.
    if (this.#limits && !this.#inTransaction) await this.#client.query(`SELECT ${setLimits(this.#limits, false)}`);
    const text = this.#withPending(sql);
    if (DROPS_PREPARED.test(sql)) this.#forgetStatements();
    try {
      await this.#watched(() => this.#send(text));
    } catch (error) {
      // The server counts its error position from the start of what was sent: make it the script's own.
      relativeToScript(error, text.length - sql.length);
      // A failed script that opened its own transaction leaves the session in it; end it.
      if (!this.#inTransaction) await this.#client.query('ROLLBACK').catch(() => undefined);
      else if (await this.#committedBeforeFailing()) throw new TransactionEnded(error);
      throw error;
    }
  }

  /** The next message asks the server first whether this transaction is still the one transaction() began. */
  async checkTransactionOpen(): Promise<void> {
    this.#check();
    if (this.#inTransaction && !this.#beginPending) this.#atCommit.unshift(checkToken(this.#token));
  }

  /**
   * After a script failed inside transaction(): whether it had committed the transaction
   * before failing (the session setting set with BEGIN survives only a commit). Whatever
   * block the failure left is rolled back first, to read it (the error arrives before the
   * server says which block it left, so the status is not asked).
   */
  async #committedBeforeFailing(): Promise<boolean> {
    try {
      await this.#client.query('ROLLBACK');
      const rows = (await this.#client.query("SELECT pg_catalog.current_setting('migseal.began', true) AS began")).rows as Row[];
      return rows[0]?.began === this.#token;
    } catch {
      return false;
    }
  }

  /** Sends a simple query; a failed transaction check in it means the transaction had ended. */
  async #send(text: string): Promise<pg.QueryResult | pg.QueryResult[]> {
    try {
      return (await this.#client.query(text)) as pg.QueryResult | pg.QueryResult[];
    } catch (error) {
      if ((error as { code?: string }).code === DIVISION_BY_ZERO && text.includes(CHECK_MARK)) throw new TransactionEnded();
      throw error;
    }
  }

  async query(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}): Promise<Row[]> {
    this.#check();
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    const name = options.repeated ? await this.#prepare(text) : undefined;
    if (name !== undefined) {
      const call = params.length === 0 ? `EXECUTE ${name}` : `EXECUTE ${name}(${params.map((v) => this.#literal(v)).join(', ')})`;
      if (options.atCommit && this.#inTransaction) {
        this.#atCommit.push(call);
        return [];
      }
      const sent = this.#withPending(call);
      return lastRows(await this.#watched(() => this.#send(sent)));
    }
    // Without parameters, a held statement travels as it is.
    if (options.atCommit && this.#inTransaction && params.length === 0) {
      this.#atCommit.push(text);
      return [];
    }
    // The extended protocol takes one statement: what is pending goes first, on its own.
    const pending = this.#withPending('');
    return this.#watched(async () => {
      if (pending !== '') await this.#send(pending);
      return (await this.#client.query(text, params as unknown[])).rows as Row[];
    });
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    this.#check();
    this.#inTransaction = true;
    this.#beginPending = true;
    this.#token = `${this.#tokenPrefix}${(++this.#transactions).toString(16)}`;
    try {
      const result = await fn();
      // Nothing was sent: there is no transaction to commit. The rows held for COMMIT may wait for a lock (a history table another session locked).
      if (!this.#beginPending || this.#atCommit.length > 0) {
        const commit = this.#withPending('COMMIT');
        await this.#watched(() => this.#send(commit));
      }
      return result;
    } catch (error) {
      // A script that did not parse never ran its BEGIN either; ROLLBACK then only warns.
      if (!this.#beginPending) await this.#client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      this.#inTransaction = false;
      this.#beginPending = false;
      this.#atCommit = [];
    }
  }

  /** `sql` preceded by what is waiting to be sent: the transaction's BEGIN and the statements held for COMMIT. */
  #withPending(sql: string): string {
    const parts = [...(this.#beginPending ? [beginWithToken(this.#token, this.#limits)] : []), ...this.#atCommit, ...(sql === '' ? [] : [sql])];
    this.#beginPending = false;
    this.#atCommit = [];
    return sql === '' || parts.length > 1 ? parts.join(';\n') : sql;
  }

  /**
   * A repeated statement, prepared once per connection with SQL PREPARE (which outlives a
   * rolled-back transaction), so that EXECUTE can share a simple-query message with COMMIT.
   * The server replans it itself after DDL.
   */
  async #prepare(text: string): Promise<string | undefined> {
    const known = this.#prepared.get(text);
    if (known !== undefined || this.#prepared.size >= PREPARED_STATEMENTS) return known;
    const name = `migseal_${this.#generation}_${this.#prepared.size + 1}`;
    // Preparing an INSERT takes its table's lock already, so it may wait for another session too.
    await this.#watched(() => this.#client.query(`PREPARE ${name} AS ${text}`));
    this.#prepared.set(text, name);
    return name;
  }

  #forgetStatements(): void {
    this.#prepared.clear();
    this.#generation++;
  }

  /** A parameter as an SQL literal for EXECUTE: strings through pg's own quoting, safe integers, NULL. */
  #literal(value: unknown): string {
    if (value === null || value === undefined) return 'NULL';
    if (typeof value === 'string') return this.#client.escapeLiteral(value);
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
    throw new MigsealError('INTERNAL', `Cannot send ${typeof value} as an SQL literal.`);
  }

  async hasTable(name: string): Promise<boolean> {
    const rows = await this.query('SELECT to_regclass(?) IS NOT NULL AS present', [name]);
    return rows[0]?.present === true;
  }

  table(name: string): string {
    return `${quoteIdent(this.#schema)}.${name}`;
  }

  sessionTable(name: string): string {
    return `${quoteIdent(this.#sessionSchema)}.${name}`;
  }

  async fixHistoryPlace(tables: readonly string[]): Promise<void> {
    this.#check();
    if (this.#placeReady) return;
    const { rows } = await this.#client.query(
      `SELECT pg_catalog.to_regnamespace('${HISTORY_SCHEMA}') IS NOT NULL AS present, pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE') AS can_create`,
    );
    const place = rows[0] as { present: boolean; can_create: boolean };
    if (this.#tenant !== undefined) {
      const { rows: tenant } = await this.#client.query('SELECT pg_catalog.to_regnamespace(pg_catalog.quote_ident($1)) IS NOT NULL AS present', [this.#tenant]);
      if (tenant[0]?.present !== true) {
        if (!place.can_create) {
          throw new MigsealError(
            'DATABASE_ERROR',
            `The tenant schema "${this.#tenant}" of ${this.target} does not exist, and this role may not create it; nothing was run. Create it once as the database owner: CREATE SCHEMA ${quoteIdent(this.#tenant)} AUTHORIZATION <deploy role>.`,
          );
        }
        await this.#client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.#tenant)}`);
      }
      this.#placeReady = true;
      return;
    }
    if (!place.present && !place.can_create) {
      throw new MigsealError(
        'DATABASE_ERROR',
        `migseal keeps its history in the schema "${HISTORY_SCHEMA}" of ${this.target}, which does not exist, and this role may not create it; nothing was run. Create it once as the database owner: CREATE SCHEMA ${HISTORY_SCHEMA} AUTHORIZATION <deploy role>.`,
      );
    }
    if (this.#schema === HISTORY_SCHEMA) {
      if (!place.present) await this.#client.query(`CREATE SCHEMA IF NOT EXISTS ${HISTORY_SCHEMA}`);
      this.#placeReady = true;
      return;
    }
    const from = quoteIdent(this.#schema);
    await this.transaction(async () => {
      await this.exec([`CREATE SCHEMA IF NOT EXISTS ${HISTORY_SCHEMA}`, ...tables.map((t) => `ALTER TABLE IF EXISTS ${from}.${t} SET SCHEMA ${HISTORY_SCHEMA}`)].join(';\n'));
    });
    this.#schema = HISTORY_SCHEMA;
    this.#placeReady = true;
  }

  sha256(expression: string): string {
    return `pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(${expression}, 'UTF8')), 'hex')`;
  }

  async lock(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await this.query(`SELECT pg_try_advisory_lock(${this.#lockKey}) AS locked`);
      if (rows[0]?.locked === true) {
        this.#locked = true;
        return;
      }
      if (Date.now() >= deadline) {
        // Which runner: its session, as a lock timeout in a script names the session it waited for.
        const holders = await advisoryLockHolders(this.#client, this.#lockKey);
        throw new MigsealError(
          'LOCK_TIMEOUT',
          `Another migseal runner holds the lock on ${this.target}${holders.length > 0 ? `: ${describeHolders(holders)}` : ''}; gave up after ${timeoutMs} ms. Wait for it to finish, or raise --lock-timeout.`,
        );
      }
      await sleep(LOCK_POLL_MS);
    }
  }

  async unlock(): Promise<void> {
    if (!this.#locked) return;
    this.#locked = false;
    await this.query(`SELECT pg_advisory_unlock(${this.#lockKey})`).catch(() => undefined);
  }

  async close(reuse = false): Promise<void> {
    if (this.#closed) return;
    await this.#watch.close();
    await this.unlock();
    this.#closed = true;
    this.#client.off('error', this.#onError);
    if (reuse && this.#sessions && !this.#lost && !this.#inTransaction) await this.#sessions.give(this.#sessionKey, this.#client);
    else await this.#client.end().catch(() => undefined);
  }

  #check(): void {
    if (this.#closed) throw new MigsealError('INTERNAL', `Internal error (a bug in migseal): the connection to ${this.target} was used after it was closed.`);
    if (this.#lost) throw new MigsealError('DATABASE_ERROR', `The connection to ${this.target} was lost: ${this.#lost.message}.`, { cause: this.#lost });
  }
}

/** pg's connection errors, in words: "connect ECONNREFUSED 127.0.0.1:1" says less than it could. */
function describeConnectError(error: unknown): string {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e.code === 'ECONNREFUSED') return `connection refused at ${e.address ?? 'the server'}${e.port ? `:${e.port}` : ''} (is the server running and accepting connections there?)`;
  if (e.code === 'ENOTFOUND') return `no such host ${(e as { hostname?: string }).hostname ?? ''}`.trim();
  if (e.code === 'ETIMEDOUT') return 'the connection timed out';
  return String(e?.message ?? error).replace(/\.$/, '');
}

/**
 * Moves a server error's position back by what was sent before the script (BEGIN, held
 * statements); a position inside those is no place in the script, and is dropped.
 */
function relativeToScript(error: unknown, prefix: number): void {
  const e = error as { position?: string };
  if (prefix <= 0 || typeof e?.position !== 'string') return;
  const at = Number(e.position) - prefix;
  if (Number.isSafeInteger(at) && at >= 1) e.position = String(at);
  else delete e.position;
}
