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
 * statements prepared once per connection): a migration costs two round trips. A script the
 * runner holds (holdScript) goes in one message with all of them, BEGIN to COMMIT: one round
 * trip, the server measuring the script's duration (see holdScript).
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { MigsealError } from '../errors.js';
import { HeldScriptFailed, runnerName, sleep, TransactionEnded, type ConnectOptions, type LockOwner, type Driver, type QueryOptions, type Row, type WaitLimits } from './driver.js';
import { advisoryLockHolders, BlockerWatch, describeHolders } from './postgres-blockers.js';
import { PostgresSessions } from './postgres-sessions.js';

/** Advisory lock key: the first 8 bytes of SHA-256("migseal"), as a signed bigint. */
const LOCK_KEY = '7581215183639544856';
/** A tenant schema's lock key: the first 8 bytes of SHA-256("migseal schema " + its name), so tenants of one database run side by side. */
const schemaLockKey = (schema: string): string => createHash('sha256').update(`migseal schema ${schema}`, 'utf8').digest().readBigInt64BE(0).toString();
const LOCK_POLL_MS = 50;
/** The session's name until it takes the runner lock, and again once it lets it go. */
const APPLICATION_NAME = 'migseal';
/** application_name as the server keeps it: printable ASCII (it shows anything else as '?'), at most 63 bytes. */
const applicationName = (name: string): string => name.replace(/[^\x20-\x7e]/g, '?').slice(0, 63);
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
const beginWithToken = (token: string, limits: WaitLimits | undefined, clock = false): string =>
  `BEGIN;\nSELECT pg_catalog.set_config('migseal.xact', '${token}', true), pg_catalog.set_config('migseal.began', '${token}', false)${limits ? `, ${setLimits(limits, true)}` : ''}${clock ? `, ${START_CLOCK}` : ''}`;
/**
 * A held script's duration, measured by the server: the clock read with BEGIN (seconds since
 * the epoch as numeric text, which no DateStyle or TimeZone a script sets can change), and the
 * milliseconds since then, set with the check that follows the script. Every name is qualified:
 * the script may have changed the search path.
 */
const START_CLOCK = `pg_catalog.set_config('migseal.t0', CAST(EXTRACT(EPOCH FROM pg_catalog.clock_timestamp()) AS pg_catalog.text), true)`;
const TOOK_MS = `CAST(CAST(pg_catalog.round((EXTRACT(EPOCH FROM pg_catalog.clock_timestamp()) OPERATOR(pg_catalog.-) CAST(pg_catalog.current_setting('migseal.t0') AS numeric)) OPERATOR(pg_catalog.*) 1000) AS integer) AS pg_catalog.text)`;
/** Where a held statement's parameter stands for the duration (see holdScript): the value the check set. */
const HELD_MS = `CAST(pg_catalog.current_setting('migseal.took') AS integer)`;
const HELD_MS_TEXT = `pg_catalog.current_setting('migseal.took')`;
/**
 * The check after a held script: the transaction check, under a column named with the
 * transaction's token, and the script's duration. Its row arriving says the script ran, whole,
 * and left the transaction open; an error before any such row is the script's. A script could
 * read the token and send a row of that name itself, so only the last such row counts, and
 * whatever a failure is taken for, the session setting that survives only a commit (see
 * #committedBeforeFailing) says whether the script had committed part of its work.
 */
const heldCheckMark = (token: string): string => `migseal_check_${token}`;
const heldCheck = (token: string): string =>
  `SELECT 1 / coalesce((pg_catalog.current_setting('migseal.xact', true) OPERATOR(pg_catalog.=) '${token}')::int, 0) AS ${heldCheckMark(token)}, pg_catalog.set_config('migseal.took', ${TOOK_MS}, true) AS took`;

/** A simple query that notes whether the held check's row came back, and its duration. */
class HeldQuery extends (pg.Query as unknown as new (config: { text: string }) => object) {
  /** The last column named as the check has no row yet: a failure now is the check's. */
  checking = false;
  /** A row came for the last column named as the check. */
  passed = false;
  took = Number.NaN;
  constructor(
    text: string,
    readonly mark: string,
  ) {
    super({ text });
  }
  handleRowDescription(msg: { fields: Array<{ name: string }> }): void {
    if (msg.fields[0]?.name === this.mark) {
      this.checking = true;
      this.passed = false;
    }
    (pg.Query.prototype as unknown as { handleRowDescription(m: unknown): void }).handleRowDescription.call(this, msg);
  }
  handleDataRow(msg: { fields: unknown[] }): void {
    if (this.checking) {
      this.checking = false;
      this.passed = true;
      this.took = msg.fields[1] === null ? Number.NaN : Number(msg.fields[1]);
    }
    (pg.Query.prototype as unknown as { handleDataRow(m: unknown): void }).handleDataRow.call(this, msg);
  }
}
/** set_config calls for the wait limits (integers: milliseconds), local to the transaction or for the session. */
const setLimits = (limits: WaitLimits, local: boolean): string =>
  `pg_catalog.set_config('lock_timeout', '${Math.trunc(limits.lockTimeoutMs)}', ${local}), pg_catalog.set_config('statement_timeout', '${Math.trunc(limits.statementTimeoutMs)}', ${local})`;
/** How often the blocker watch asks who blocks the runner: four times per lock_timeout, at most once a second. */
const watchInterval = (lockTimeoutMs: number): number => Math.min(1000, Math.max(50, Math.floor(lockTimeoutMs / 4)));
const CHECK_MARK = 'migseal_transaction_check';
const checkToken = (token: string): string => `SELECT 1 / coalesce((pg_catalog.current_setting('migseal.xact', true) OPERATOR(pg_catalog.=) '${token}')::int, 0) AS ${CHECK_MARK}`;
const DIVISION_BY_ZERO = '22012';
const SYNTAX_ERROR = '42601';

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
  /** The script holdScript holds: its place among #atCommit, and the number that stands for its duration in held parameters. */
  #held: { at: number; length: number; took: number; tookText: string } | undefined;
  /** A held script sent before its COMMIT (#releaseHeld): the number that stood for its duration, and the duration. */
  #sentHeld: { took: number; tookText: string; ms: number } | undefined;
  #heldMs = 0;
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
      application_name: APPLICATION_NAME,
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
    await this.#releaseHeld();
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
    // A held script's check travels right after it already (holdScript).
    if (this.#held) return;
    if (this.#inTransaction && !this.#beginPending) this.#atCommit.unshift(checkToken(this.#token));
  }

  /**
   * Holds a script for the transaction's one message (Driver.holdScript): only as the first
   * thing of its transaction, and not a script that may drop the prepared statements the
   * statements after it execute. The number standing for the duration is random (2^48 values,
   * negative: never a duration) and new for each transaction.
   */
  holdScript(sql: string): number | undefined {
    this.#check();
    if (!this.#inTransaction || !this.#beginPending || this.#held || DROPS_PREPARED.test(sql)) return undefined;
    const took = -(2 ** 48 + randomInt(2 ** 48 - 1));
    this.#held = { at: this.#atCommit.length, length: sql.length, took, tookText: String(took) };
    // A line break, then a semicolon: a script ending in a line comment or without its last semicolon ends there.
    this.#atCommit.push(`${sql}\n;`, heldCheck(this.#token));
    return took;
  }

  heldScriptMs(): number {
    return this.#heldMs;
  }

  /**
   * Sends the held transaction, BEGIN to COMMIT. The script's failure (nothing after it ran) is
   * thrown as exec would throw it, inside HeldScriptFailed; the check failing (the script ended
   * the transaction) as TransactionEnded; a failure after the check as it came. A message that
   * ran without the check's row is not taken as a migration that ran.
   */
  async #sendHeld(commit: boolean): Promise<void> {
    const held = this.#held!;
    const first = [beginWithToken(this.#token, this.#limits, true), ...this.#atCommit.slice(0, held.at + 1)];
    // The script's place in the message: after what precedes it and the separator.
    const prefix = first.slice(0, -1).join(';\n').length + 2;
    const scriptEnd = prefix + held.length;
    // The check, what is held after it, COMMIT.
    const after = [...this.#atCommit.slice(held.at + 1), ...(commit ? ['COMMIT'] : [])];
    this.#beginPending = false;
    this.#atCommit = [];
    this.#held = undefined;
    const mark = heldCheckMark(this.#token);
    let query = new HeldQuery([...first, ...after].join(';\n'), mark);
    try {
      await this.#watched(() => this.#submit(query));
    } catch (error) {
      if (!parsedPastScript(error, scriptEnd)) throw await this.#heldError(query, error, prefix);
      // The message did not parse past the script's end (a string or comment the script left open took in what follows
      // it), so nothing ran: the script goes alone, as exec sends it, so it fails as it does alone; then the rest.
      try {
        await this.#watched(() => this.#send(first.join(';\n')));
      } catch (alone) {
        relativeToScript(alone, prefix);
        throw new HeldScriptFailed((await this.#committedBeforeFailing()) ? new TransactionEnded(alone) : alone);
      }
      query = new HeldQuery(after.join(';\n'), mark);
      try {
        await this.#submit(query);
      } catch (rest) {
        throw await this.#heldError(query, rest, 0);
      }
    }
    if (!query.passed || !Number.isSafeInteger(query.took)) throw new TransactionEnded();
    this.#heldMs = query.took;
    if (!commit) this.#sentHeld = { took: held.took, tookText: held.tookText, ms: query.took };
  }

  /**
   * What a held message's failure is: the check failing (the script ended the transaction);
   * before any check row, the script's failure, as exec reports it (its position in the script,
   * and TransactionEnded when it had committed before failing); after one, the record's, as it
   * came, unless the script had committed part of its work after all.
   */
  async #heldError(query: HeldQuery, error: unknown, prefix: number): Promise<unknown> {
    if (query.checking && (error as { code?: string })?.code === DIVISION_BY_ZERO) return new TransactionEnded();
    if (!query.passed) relativeToScript(error, prefix);
    const committed = await this.#committedBeforeFailing();
    if (committed) return new HeldScriptFailed(new TransactionEnded(error));
    return query.passed ? error : new HeldScriptFailed(error);
  }

  #submit(query: HeldQuery): Promise<void> {
    return new Promise((resolve, reject) => {
      (query as { callback?: (error: unknown) => void }).callback = (error) => (error ? reject(error) : resolve());
      this.#client.query(query as unknown as pg.QueryConfig);
    });
  }

  /**
   * Something must be sent before COMMIT that cannot wait for it (a statement with its own
   * parameters, another script): the held script goes first, with its check and what is held,
   * and the rest of the transaction takes the duration it reported where it stood for it.
   */
  async #releaseHeld(): Promise<void> {
    if (this.#held) await this.#sendHeld(false);
  }

  /** A parameter with the number standing for a held script's duration, once that script was sent: the duration itself. */
  #afterHeld(value: unknown): unknown {
    const sent = this.#sentHeld;
    if (sent === undefined) return value;
    if (value === sent.took) return sent.ms;
    return typeof value === 'string' && value.includes(sent.tookText) ? value.split(sent.tookText).join(String(sent.ms)) : value;
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
    params = this.#sentHeld === undefined ? params : params.map((v) => this.#afterHeld(v));
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    const name = options.repeated ? await this.#prepare(text) : undefined;
    if (name !== undefined) {
      const call = params.length === 0 ? `EXECUTE ${name}` : `EXECUTE ${name}(${params.map((v) => this.#heldLiteral(v)).join(', ')})`;
      if (options.atCommit && this.#inTransaction) {
        this.#atCommit.push(call);
        return [];
      }
      await this.#releaseHeld();
      const sent = this.#withPending(call);
      return lastRows(await this.#watched(() => this.#send(sent)));
    }
    // Without parameters, a held statement travels as it is.
    if (options.atCommit && this.#inTransaction && params.length === 0) {
      this.#atCommit.push(text);
      return [];
    }
    await this.#releaseHeld();
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
      if (this.#held) await this.#sendHeld(true);
      // Nothing was sent: there is no transaction to commit. The rows held for COMMIT may wait for a lock (a history table another session locked).
      else if (!this.#beginPending || this.#atCommit.length > 0) {
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
      this.#held = undefined;
      this.#sentHeld = undefined;
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

  /**
   * A parameter of a statement held with a script (holdScript): the number standing for its
   * duration becomes the duration the server measured, as an integer, or inside a string as
   * its digits; anything else is a literal.
   */
  #heldLiteral(value: unknown): string {
    const held = this.#held;
    if (held === undefined) return this.#literal(value);
    if (value === held.took) return HELD_MS;
    if (typeof value !== 'string' || !value.includes(held.tookText)) return this.#literal(value);
    return `(${value
      .split(held.tookText)
      .map((part) => this.#literal(part))
      .join(` OPERATOR(pg_catalog.||) ${HELD_MS_TEXT} OPERATOR(pg_catalog.||) `)})`;
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

  async lock(timeoutMs: number, owner?: LockOwner): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // The session names what it runs (application_name), set with the first try: a runner that waits for this lock, or
    // anyone reading pg_stat_activity, sees "migseal apply shop 1.4.0" rather than the first line of a statement.
    let name: string | undefined = owner === undefined ? undefined : applicationName(runnerName(owner));
    for (;;) {
      const rows =
        name === undefined
          ? await this.query(`SELECT pg_try_advisory_lock(${this.#lockKey}) AS locked`)
          : await this.query(`SELECT pg_catalog.set_config('application_name', ?, false), pg_try_advisory_lock(${this.#lockKey}) AS locked`, [name]);
      name = undefined;
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
    await this.query(`SELECT pg_advisory_unlock(${this.#lockKey}), pg_catalog.set_config('application_name', '${APPLICATION_NAME}', false)`).catch(() => undefined);
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
 * Whether a syntax error lies past the end of the script in the message (at `scriptEnd` or
 * later): the server parses a whole message before it runs any of it, so then none of it ran.
 */
function parsedPastScript(error: unknown, scriptEnd: number): boolean {
  const e = error as { code?: string; position?: string };
  return e?.code === SYNTAX_ERROR && typeof e.position === 'string' && Number(e.position) > scriptEnd;
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
