/**
 * Times a command's waits for PostgreSQL locks from the server's side, as pg_locks shows them, instead of with a
 * clock around the whole process: a spawned CLI's start-up and verification alone can take seconds on a busy
 * machine, and the server's own lock_timeout does not.
 *
 * The watching is done by the server itself: a session runs a loop that reads pg_locks every 50 ms and notes what
 * waits, with its `waitstart`, against the server's clock. So the watch does not depend on this (possibly starved)
 * test process being scheduled. Each wait is bracketed by the last round that saw it waiting (never after its end)
 * and the first round that saw it gone (never before): `atLeastMs` can only be too small and `atMostMs` only too
 * large, however slow the machine, so "atLeastMs < limit" and "atMostMs >= timeout" fail only when the command
 * really waited too long or too briefly.
 */
import pg from 'pg';

export interface LockWait {
  pid: number;
  /** What the waiting session wanted, as pg_locks names it ('relation', 'transactionid', …). */
  locktype: string;
  /** How long it had waited when last seen waiting: never more than its wait. */
  atLeastMs: number;
  /** How long it had waited when first seen no longer waiting: never less than its wait. */
  atMostMs: number;
}

export interface WatchedWaits<T> {
  result: T;
  /** Every wait seen, in the order they began. */
  waits: LockWait[];
  /** Whether a wait reached `releaseAfterMs` and `release` was called. */
  released: boolean;
}

export interface WatchOptions {
  /**
   * Once a wait has lasted this long, `release` is called (ending the holder's transaction), so a command that would
   * wait longer than it should goes on instead of hanging: it then succeeds where it should have given up, and its
   * test fails on that.
   */
  releaseAfterMs: number;
  release: () => Promise<unknown>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The advisory lock the test holds while the server-side loop should go on; any key no test uses elsewhere. */
const WATCHING = 4_242_100;

const LOOP = `DO $$
DECLARE now float8;
BEGIN
  WHILE NOT pg_catalog.pg_try_advisory_xact_lock(${WATCHING}) LOOP
    now := extract(epoch FROM pg_catalog.clock_timestamp())::float8 * 1000;
    INSERT INTO pg_temp.lock_rounds VALUES (now);
    INSERT INTO pg_temp.lock_seen
      SELECT pid, locktype, extract(epoch FROM waitstart)::float8 * 1000, now
        FROM pg_catalog.pg_locks WHERE NOT granted AND waitstart IS NOT NULL AND pid <> pg_catalog.pg_backend_pid();
    PERFORM pg_catalog.pg_sleep(0.05);
  END LOOP;
  -- Let go only once no wait is left: this last round is after every wait's end.
  INSERT INTO pg_temp.lock_rounds VALUES (extract(epoch FROM pg_catalog.clock_timestamp())::float8 * 1000);
END $$`;

/** Runs `command` (already started) to its end while the server watches every lock wait of any other session. */
export async function watchLockWaits<T>(url: string, command: Promise<T>, options: WatchOptions): Promise<WatchedWaits<T>> {
  let finished = false;
  const done = command.finally(() => (finished = true));
  done.catch(() => undefined);
  const control = new pg.Client({ connectionString: url, application_name: 'lock-wait-control' });
  const watcher = new pg.Client({ connectionString: url, application_name: 'lock-wait-watcher' });
  await Promise.all([control.connect(), watcher.connect()]);
  let released = false;
  try {
    await control.query(`SELECT pg_catalog.pg_advisory_lock(${WATCHING})`);
    await watcher.query('CREATE TEMP TABLE lock_rounds (at float8); CREATE TEMP TABLE lock_seen (pid int, locktype text, start float8, at float8)');
    const loop = watcher.query(LOOP);
    loop.catch(() => undefined);
    // The safety release only: how long a wait has lasted, from this side (late if this process is starved, which
    // only lets a wrong command wait longer before it is let go).
    while (!finished) {
      if (!released) {
        const { rows } = await control.query(
          `SELECT 1 FROM pg_catalog.pg_locks WHERE NOT granted AND waitstart < pg_catalog.clock_timestamp() - $1::float8 * interval '1 millisecond'`,
          [options.releaseAfterMs],
        );
        if (rows.length > 0) {
          released = true;
          await options.release();
        }
      }
      await Promise.race([done, sleep(50)]);
    }
    // The command's sessions end with it, and their waits with them: let the loop go once none is left.
    for (const until = Date.now() + 10_000; Date.now() < until; await sleep(20)) {
      if ((await control.query('SELECT 1 FROM pg_catalog.pg_locks WHERE NOT granted')).rows.length === 0) break;
    }
    await control.query(`SELECT pg_catalog.pg_advisory_unlock(${WATCHING})`);
    await loop;
    const { rows } = await watcher.query<{ pid: number; locktype: string; start: number; last: number; gone: number | null }>(
      `WITH w AS (SELECT pid, locktype, start, max(at) AS last FROM pg_temp.lock_seen GROUP BY pid, locktype, start)
       SELECT w.*, (SELECT min(r.at) FROM pg_temp.lock_rounds r WHERE r.at > w.last) AS gone FROM w ORDER BY w.start`,
    );
    const waits = rows.map((w) => {
      if (w.gone === null) throw new Error(`a lock wait was still going on after the command ended: ${JSON.stringify(w)}`);
      return { pid: w.pid, locktype: w.locktype, atLeastMs: w.last - w.start, atMostMs: w.gone - w.start };
    });
    return { result: await done, waits, released };
  } finally {
    await Promise.all([control.end().catch(() => undefined), watcher.end().catch(() => undefined)]);
  }
}

/** The one wait a command made, or a failure naming what was seen. */
export function onlyWait(waits: LockWait[]): LockWait {
  if (waits.length !== 1) throw new Error(`expected one lock wait, saw ${waits.length}: ${JSON.stringify(waits)}`);
  return waits[0]!;
}
