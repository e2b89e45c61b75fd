/**
 * Who holds the lock a migration waits for, on PostgreSQL. When lock_timeout cancels the
 * wait, the server says only "canceling statement due to lock timeout", and by then the wait
 * is over, so pg_blocking_pids no longer knows. So while a script runs, a second connection
 * (opened only once a script has run for one interval) asks every interval which sessions
 * block the runner's, and the last answer that named some is kept for the failure (55P03).
 */
import type pg from 'pg';

export const LOCK_NOT_AVAILABLE = '55P03';
const MAX_QUERY_CHARS = 120;

export interface LockHolder {
  pid: number;
  user: string | null;
  application: string | null;
  /** active, idle in transaction… */
  state: string | null;
  /** Seconds since its transaction (else its query, else its session) began: it has held its locks at most that long. */
  seconds: number | null;
  /** What `seconds` counts from: a session holding a session-level lock (another runner's) may be in no transaction. */
  since: 'transaction' | 'query' | 'session' | null;
  /** Its current or last query's first line, shortened. */
  query: string | null;
  /** The lock the runner waited for: its mode and what it was on. */
  wanted: string | null;
}

/** A LockHolder's columns, from the pg_stat_activity row named `a`: the age counts from its transaction, else its query, else its connection. */
const holderColumns = (a: string): string => `${a}.pid, ${a}.usename AS user, ${a}.application_name AS application, ${a}.state,
    pg_catalog.round(EXTRACT(EPOCH FROM pg_catalog.now() OPERATOR(pg_catalog.-) coalesce(${a}.xact_start, ${a}.query_start, ${a}.backend_start)))::int AS seconds,
    CASE WHEN ${a}.xact_start IS NOT NULL THEN 'transaction' WHEN ${a}.query_start IS NOT NULL THEN 'query' WHEN ${a}.backend_start IS NOT NULL THEN 'session' END AS since,
    ${a}.query`;

const BLOCKERS = `SELECT ${holderColumns('b')},
    (SELECT w.mode || ' on ' || CASE WHEN w.relation IS NOT NULL THEN w.relation::pg_catalog.regclass::text ELSE w.locktype END
       FROM pg_catalog.pg_locks w WHERE w.pid OPERATOR(pg_catalog.=) $1 AND NOT w.granted LIMIT 1) AS wanted
  FROM pg_catalog.pg_stat_activity b
  WHERE b.pid OPERATOR(pg_catalog.=) ANY (pg_catalog.pg_blocking_pids($1))
  ORDER BY b.pid`;

/** Who holds a session advisory lock on a bigint key in this database (its two halves, as pg_locks shows them). */
const ADVISORY_HOLDERS = `SELECT ${holderColumns('a')}, NULL AS wanted
  FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid OPERATOR(pg_catalog.=) l.pid
  WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory' AND l.granted AND l.objsubid OPERATOR(pg_catalog.=) 1
    AND l.database OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
    AND l.classid::text OPERATOR(pg_catalog.=) $1 AND l.objid::text OPERATOR(pg_catalog.=) $2
  ORDER BY a.pid`;

/**
 * Who holds a lock that a plain read of a table waits for (ACCESS SHARE conflicts only with
 * ACCESS EXCLUSIVE): the sessions, other than this one, holding ACCESS EXCLUSIVE on a relation
 * of this database, each with the lock a reader waits for on it. What a pg_dump that gave up
 * waiting for its locks waited for, asked once it has given up (the holder most likely still
 * holds it). No `?`: it goes through Driver.query as it is.
 */
export const EXCLUSIVE_LOCK_HOLDERS = `SELECT ${holderColumns('a')}, 'AccessShareLock on ' || l.relation::pg_catalog.regclass::text AS wanted
  FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid OPERATOR(pg_catalog.=) l.pid
  WHERE l.locktype OPERATOR(pg_catalog.=) 'relation' AND l.mode OPERATOR(pg_catalog.=) 'AccessExclusiveLock' AND l.granted
    AND l.database OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
    AND l.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()
  ORDER BY a.pid, l.relation`;

/**
 * The sessions holding the advisory lock `key` (a signed bigint, as pg_advisory_lock takes it):
 * the runner that another runner gave up waiting for. Empty when it cannot be told.
 */
export async function advisoryLockHolders(client: pg.Client, key: string): Promise<LockHolder[]> {
  const k = BigInt.asUintN(64, BigInt(key));
  try {
    const { rows } = await client.query(ADVISORY_HOLDERS, [String(k >> 32n), String(k & 0xffffffffn)]);
    return rows.map(toHolder);
  } catch {
    return [];
  }
}

export const toHolder = (r: Record<string, unknown>): LockHolder => ({
  pid: Number(r.pid),
  user: (r.user as string | null) ?? null,
  application: (r.application as string | null) ?? null,
  state: (r.state as string | null) ?? null,
  seconds: r.seconds === null || r.seconds === undefined ? null : Number(r.seconds),
  since: r.since === 'transaction' || r.since === 'query' || r.since === 'session' ? r.since : null,
  // A migseal runner is named by its application ("migseal apply shop 1.4.0"): its query is a migration's script or
  // migseal's own statements (a held transaction's first line is just "BEGIN;"), and is not shown.
  query: isMigsealRunner(r.application) ? null : firstLine(r.query),
  wanted: (r.wanted as string | null) ?? null,
});

export class BlockerWatch {
  #config: pg.ClientConfig;
  #client: Promise<pg.Client | undefined> | undefined;

  constructor(config: pg.ClientConfig) {
    this.#config = config;
  }

  /**
   * Runs `script`, asking every `intervalMs` which sessions block backend `pid`; a failure
   * with SQLSTATE 55P03 gets the holders last seen, as `holders`, before it is re-thrown.
   */
  async watch<T>(pid: number, intervalMs: number, script: () => Promise<T>): Promise<T> {
    let seen: LockHolder[] = [];
    let stopped = false;
    let inFlight: Promise<void> = Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const poll = (): void => {
      inFlight = this.#blockers(pid).then((holders) => {
        if (holders.length > 0) seen = holders;
        if (!stopped) timer = setTimeout(poll, intervalMs);
      });
    };
    timer = setTimeout(poll, intervalMs);
    try {
      return await script();
    } catch (error) {
      if ((error as { code?: string })?.code === LOCK_NOT_AVAILABLE && typeof error === 'object' && error !== null) {
        await inFlight;
        Object.assign(error, { holders: seen });
      }
      throw error;
    } finally {
      stopped = true;
      clearTimeout(timer);
    }
  }

  async #blockers(pid: number): Promise<LockHolder[]> {
    const client = await this.#connect();
    if (!client) return [];
    try {
      const { rows } = await client.query(BLOCKERS, [pid]);
      return rows.map(toHolder);
    } catch {
      return [];
    }
  }

  #connect(): Promise<pg.Client | undefined> {
    this.#client ??= (async () => {
      // pg is loaded with the first watch, not with this module: a run on SQLite never loads it.
      const { default: pg } = await import('pg');
      const client = new pg.Client({ ...this.#config, application_name: 'migseal lock watch' });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return client;
      } catch {
        return undefined;
      }
    })();
    return this.#client;
  }

  async close(): Promise<void> {
    const client = await this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}

/** A session that a migseal runner opened: its application_name is "migseal", or "migseal COMMAND RELEASE" while it holds the runner lock. */
export function isMigsealRunner(application: unknown): boolean {
  return typeof application === 'string' && /^migseal(?: |$)/.test(application);
}

/** The first line of a query that is not blank, shortened. */
function firstLine(query: unknown): string | null {
  if (typeof query !== 'string') return null;
  const line = query.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
  return line.length > MAX_QUERY_CHARS ? `${line.slice(0, MAX_QUERY_CHARS)}…` : line;
}

const SINCE = { transaction: 'its transaction began', query: 'its last query began', session: 'connected' } as const;

/** The holders in one sentence: "pid 4242 (user alice, application "psql", idle in transaction, its transaction began 42 s ago, last query: LOCK …)". */
export function describeHolders(holders: readonly LockHolder[]): string {
  return holders
    .map((h) => {
      const parts = [
        `user ${h.user ?? 'unknown'}`,
        `application "${h.application ?? ''}"`,
        h.state ?? 'state unknown',
        ...(h.seconds === null ? [] : [`${SINCE[h.since ?? 'transaction']} ${h.seconds} s ago`]),
        ...(h.query ? [`${h.state === 'active' ? 'running' : 'last query'}: ${h.query}`] : []),
      ];
      return `pid ${h.pid} (${parts.join(', ')})`;
    })
    .join('; ');
}
