import { existsSync, readFileSync, statSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { removeDir } from '../helpers/fixtures.js';
import { codeOf, createWorld, dumpSqlite, rows, V1, V2, type RunnerWorld } from '../helpers/runner-world.js';

let world: RunnerWorld;
beforeAll(() => {
  world = createWorld('migseal-lock-');
});
afterAll(() => removeDir(world.dir));

/** Holds the runner lock of a SQLite database from this process, as another runner would. */
function holdLock(db: string): () => void {
  const lock = new Database(`${db}-migseal-lock`);
  lock.exec('BEGIN EXCLUSIVE');
  return () => {
    lock.exec('ROLLBACK');
    lock.close();
  };
}

describe('T4.2 one runner per database', () => {
  it('waits a bounded time for another runner, then refuses with a clear message and changes nothing', async () => {
    const db = join(world.dir, 'locked.sqlite');
    expect((await world.cli(['apply', await world.bundle('l1', V1), '--trust', world.policy, '--db', `sqlite:${db}`])).code).toBe(0);
    const bundle = await world.bundle('l2', V2, { release: '2' });
    const before = dumpSqlite(db);
    const release = holdLock(db);
    try {
      const started = Date.now();
      const flag = await world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--lock-timeout', '0.4', '--json']);
      const took = Date.now() - started;
      // Exit 4: nothing ran, and the same command may succeed later.
      expect(flag.code).toBe(4);
      expect(codeOf(flag)).toBe('LOCK_TIMEOUT');
      expect(flag.stderr).toMatch(/Another migseal runner holds the lock on sqlite:.*; gave up after 400 ms\. Wait for it to finish, or raise --lock-timeout\./);
      // The message says the flag's 400 ms reached the lock; the driver's own test times that wait in process. The
      // whole command, start-up and verification included, takes at least the wait, and far less than the 30 s default.
      expect(took).toBeGreaterThanOrEqual(400);
      expect(took).toBeLessThan(20_000);

      const fromEnv = await world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--json'], { MIGSEAL_LOCK_TIMEOUT: '0.2' });
      expect(codeOf(fromEnv)).toBe('LOCK_TIMEOUT');
      expect(fromEnv.stderr).toContain('gave up after 200 ms');
      expect(dumpSqlite(db)).toBe(before);
    } finally {
      release();
    }
    const after = await world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--lock-timeout', '0.4']);
    expect(after.code).toBe(0);
  });

  it('lets readers (plan, status, history) run while the lock is held', async () => {
    const db = join(world.dir, 'readers.sqlite');
    const bundle = await world.bundle('r1', V1);
    expect((await world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`])).code).toBe(0);
    const release = holdLock(db);
    try {
      expect((await world.cli(['plan', bundle, '--trust', world.policy, '--db', `sqlite:${db}`])).code).toBe(0);
      expect((await world.cli(['status', '--db', `sqlite:${db}`])).code).toBe(0);
      expect((await world.cli(['history', '--db', `sqlite:${db}`])).code).toBe(0);
    } finally {
      release();
    }
  });
});

describe('T4.2 a SQLite runner says who holds the lock', () => {
  /** A migration that runs until it is killed: the runner holds the lock meanwhile. */
  const SLOW = {
    ...V1,
    '3_slow.up.sql': 'CREATE TABLE slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000000) SELECT count(*) AS n FROM c;\n',
  };
  const holderPath = (db: string) => `${db}-migseal-lock-holder`;

  async function until(what: string, ok: () => boolean): Promise<void> {
    for (let i = 0; i < 800; i++) {
      if (ok()) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('names the runner that holds it (pid, host, user, what it runs, since when, still running); a killed runner leaves a record called stale that blocks nothing', async () => {
    const db = join(world.dir, 'holder.sqlite');
    expect((await world.cli(['apply', await world.bundle('h1', V1), '--trust', world.policy, '--db', `sqlite:${db}`])).code).toBe(0);
    const slow = await world.bundle('h-slow', SLOW, { release: '2.5' });
    const first = startCli(['apply', slow, '--trust', world.policy, '--db', `sqlite:${db}`], { cwd: world.dir, env: { MIGSEAL_AUDIT_LOG: join(world.dir, 'audit.jsonl') } });
    const pid = first.child.pid!;
    let before = '';
    try {
      await until('the first runner to take the lock', () => existsSync(holderPath(db)));
      // Its run is recorded as started, and its migration runs (until it is killed): the database as the waiter finds it.
      await until('the first runner to start its migration', () => rows(db, "SELECT count(*) AS n FROM migseal_runs WHERE outcome = 'running'")[0]!.n === 1);
      before = dumpSqlite(db);
      // The record: whole, readable by its owner only, and nothing in it but who the runner is.
      expect(statSync(holderPath(db)).mode & 0o777).toBe(0o600);
      const record = JSON.parse(readFileSync(holderPath(db), 'utf8')) as Record<string, unknown>;
      expect(record).toMatchObject({ format: 'migseal runner lock holder', pid, host: hostname(), user: userInfo().username, command: 'migseal apply shop 2.5' });
      expect(Object.keys(record).sort()).toEqual(['bootId', 'command', 'format', 'host', 'lockedAt', 'pid', 'processStart', 'user']);
      expect(readFileSync(holderPath(db), 'utf8')).not.toContain(world.dir);

      const waited = await world.cli(['apply', await world.bundle('h2', V2, { release: '3' }), '--trust', world.policy, '--db', `sqlite:${db}`, '--lock-timeout', '0.4', '--json']);
      expect(waited.code).toBe(4);
      expect(codeOf(waited)).toBe('LOCK_TIMEOUT');
      const { message, details } = JSON.parse(waited.stdout) as { message: string; details: { lockHolder: Record<string, unknown> } };
      expect(message).toMatch(
        new RegExp(`^Another migseal runner holds the lock on sqlite:.*-migseal-lock\\): pid ${pid} on this host \\(user \\S+, "migseal apply shop 2\\.5", took the lock at \\S+Z, \\d+ s ago\\), still running; gave up after 400 ms\\. Wait for it to finish, or raise --lock-timeout\\.$`),
      );
      expect(details.lockHolder).toMatchObject({ state: 'running', pid, host: hostname(), command: 'migseal apply shop 2.5' });
      expect(waited.stderr).toContain(`pid ${pid} on this host`);
      expect(dumpSqlite(db)).toBe(before);
    } finally {
      // A runner that dies: the operating system lets its lock go, and its record stays behind.
      first.child.kill('SIGKILL');
      await first.done;
    }
    expect(existsSync(holderPath(db))).toBe(true);
    // What the killed run left (its run row, marked running; its migration rolled back).
    before = dumpSqlite(db);

    // The record names a process that is gone: it is not believed (another program holds the lock here).
    const release = holdLock(db);
    try {
      const stale = await world.cli(['apply', await world.bundle('h3', V2, { release: '3' }), '--trust', world.policy, '--db', `sqlite:${db}`, '--lock-timeout', '0.2']);
      expect(stale.code).toBe(4);
      expect(stale.stderr).toContain(
        `; its holder record names pid ${pid} (user ${userInfo().username}, "migseal apply shop 2.5", took the lock at `,
      );
      expect(stale.stderr).toContain('), which is no longer running on this host, so that record is stale (left by a runner that died) and the holder is unknown; gave up after 200 ms.');
    } finally {
      release();
    }
    expect(dumpSqlite(db)).toBe(before);

    // Nor does it block: the next runner takes the lock, writes its own record over it, and removes it when done.
    const next = await world.cli(['apply', await world.bundle('h4', V2, { release: '3' }), '--trust', world.policy, '--db', `sqlite:${db}`, '--lock-timeout', '0.4']);
    expect(next.code, next.stderr).toBe(0);
    expect(existsSync(holderPath(db))).toBe(false);
  });

  it('a lock held with no record (an older runner, another program) says so', async () => {
    const db = join(world.dir, 'unrecorded.sqlite');
    expect((await world.cli(['apply', await world.bundle('u1', V1), '--trust', world.policy, '--db', `sqlite:${db}`])).code).toBe(0);
    const release = holdLock(db);
    try {
      const r = await world.cli(['apply', await world.bundle('u2', V2, { release: '2' }), '--trust', world.policy, '--db', `sqlite:${db}`, '--lock-timeout', '0.2', '--json']);
      expect(codeOf(r)).toBe('LOCK_TIMEOUT');
      expect(r.stderr).toContain('-migseal-lock); it left no holder record (an older migseal, or another program holding the lock file); gave up after 200 ms.');
    } finally {
      release();
    }
  });
});
