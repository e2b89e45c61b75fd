import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteDriver } from '../../src/db/sqlite.js';
import { removeDir, tempDir } from '../helpers/fixtures.js';

const dir = tempDir('migseal-sqlite-');
afterAll(() => removeDir(dir));

describe('SQLite driver', () => {
  it('runs whole scripts, and a transaction commits all or nothing', async () => {
    const driver = SqliteDriver.open(join(dir, 'a.db'));
    await driver.exec('CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);');
    await expect(
      driver.transaction(async () => {
        await driver.query('INSERT INTO t VALUES (?)', [3]);
        await driver.exec('INSERT INTO missing VALUES (1)');
      }),
    ).rejects.toThrow(/no such table: missing/);
    expect(await driver.query('SELECT n FROM t ORDER BY n')).toEqual([{ n: 1 }, { n: 2 }]);
    expect(await driver.hasTable('t')).toBe(true);
    expect(await driver.hasTable('missing')).toBe(false);
    await driver.close();
  });

  it('ends a transaction that a failing script opened itself', async () => {
    const driver = SqliteDriver.open(join(dir, 'b.db'));
    await driver.exec('CREATE TABLE t (n INTEGER)');
    await expect(driver.exec('BEGIN; INSERT INTO t VALUES (1); INSERT INTO missing VALUES (1); COMMIT;')).rejects.toThrow(/missing/);
    await driver.exec('INSERT INTO t VALUES (2)');
    expect(await driver.query('SELECT n FROM t')).toEqual([{ n: 2 }]);
    await driver.close();
  });

  it('opens a missing file read-only without creating it', async () => {
    const path = join(dir, 'never.db');
    const driver = SqliteDriver.open(path, { readOnly: true });
    expect(await driver.hasTable('migseal_migrations')).toBe(false);
    await driver.close();
    expect(existsSync(path)).toBe(false);
  });

  it('gives the runner lock to one connection at a time and times out with LOCK_TIMEOUT', async () => {
    const path = join(dir, 'c.db');
    const first = SqliteDriver.open(path);
    const second = SqliteDriver.open(path);
    await first.lock(100);
    // It waits as long as it is told, in this process (no process start-up to time), then gives up.
    const started = performance.now();
    await expect(second.lock(400)).rejects.toMatchObject({ code: 'LOCK_TIMEOUT', message: expect.stringContaining('gave up after 400 ms') });
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(400);
    expect(waited).toBeLessThan(5000);
    await first.unlock();
    await second.lock(100);
    await second.close();
    await first.close();
  });

  it('commits by truncating the journal while it holds the runner lock, and switches back at unlock', async () => {
    const path = join(dir, 'journal.db');
    const driver = SqliteDriver.open(path);
    const other = SqliteDriver.open(path);
    await driver.exec('CREATE TABLE t (n INTEGER)');
    await driver.lock(100);
    expect(await driver.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'truncate' }]);
    // The mode is the connection's own: another connection keeps the default.
    expect(await other.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'delete' }]);
    await driver.transaction(() => driver.query('INSERT INTO t VALUES (?)', [1]));
    expect(statSync(`${path}-journal`).size).toBe(0);
    expect(await other.query('SELECT n FROM t')).toEqual([{ n: 1 }]);
    await driver.unlock();
    expect(await driver.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'delete' }]);
    expect(existsSync(`${path}-journal`)).toBe(false);
    await other.close();
    await driver.close();
  });

  it('leaves a WAL database in WAL mode', async () => {
    const path = join(dir, 'wal.db');
    const driver = SqliteDriver.open(path);
    await driver.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (n INTEGER)");
    await driver.lock(100);
    expect(await driver.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    await driver.transaction(() => driver.query('INSERT INTO t VALUES (?)', [1]));
    await driver.unlock();
    expect(await driver.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    await driver.close();
  });
});
