import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir } from '../helpers/fixtures.js';
import { codeOf, createWorld, dumpSqlite, V1, V2, type RunnerWorld } from '../helpers/runner-world.js';

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
