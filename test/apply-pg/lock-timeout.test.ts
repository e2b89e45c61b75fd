/**
 * Migrations that cannot stall production: on PostgreSQL each migration runs with a
 * lock_timeout and a statement_timeout (flags, then the environment's policy, then the
 * defaults; the migration's own SET wins). A migration that gives up waiting for a lock is
 * rolled back, and the message names the session that held it.
 */
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { codeOf } from '../helpers/refusal.js';
import { watchLockWaits } from '../helpers/lock-wait.js';
import { writePolicy } from '../helpers/fixtures.js';
import { mkdirSync, copyFileSync } from 'node:fs';

const ctx = usePostgresWorld();
let databases = 0;
let holder: pg.Client | undefined;

afterEach(async () => {
  await holder?.end().catch(() => undefined);
  holder = undefined;
});

async function freshDatabase(): Promise<{ name: string; url: string }> {
  const name = `locks_${++databases}`;
  const url = await ctx.cluster.createDatabase(name);
  await ctx.cluster.psql("CREATE TABLE accounts (id integer PRIMARY KEY); INSERT INTO accounts VALUES (1);", name);
  return { name, url };
}

/** Another session, as a report job would be: a transaction holding ACCESS EXCLUSIVE on accounts. */
async function holdLock(url: string): Promise<number> {
  holder = new pg.Client({ connectionString: url, application_name: 'nightly-report' });
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query('LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
  return Number((await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
}

const ADD_COLUMN = { '1_note.up.sql': 'ALTER TABLE accounts ADD COLUMN note text;\n' };
const columns = (db: string) => ctx.cluster.psql("SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'accounts'", db).then((s) => s.trim());

describe('lock_timeout and statement_timeout on PostgreSQL', () => {
  it('a migration that waits longer than --pg-lock-timeout fails, rolled back, naming the session that holds the lock', async () => {
    const db = await freshDatabase();
    const bundle = await ctx.world.bundle(ADD_COLUMN);
    const pid = await holdLock(db.url);
    // The wait as the server saw it (lock-wait.ts): a run that waits 4 s past its timeout gets the lock, and succeeds.
    const { result: failed, waits } = await watchLockWaits(db.url, ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', db.url, '--pg-lock-timeout', '1s', '--json']), {
      releaseAfterMs: 5000,
      release: () => holder!.query('COMMIT'),
    });
    // The migration's wait; reading the schema the failed run left may then wait briefly (see the next test).
    const wait = waits[0]!;
    expect(wait.atMostMs, JSON.stringify(waits)).toBeGreaterThanOrEqual(1000);
    expect(wait.atLeastMs, JSON.stringify(waits)).toBeLessThan(3500);
    expect(failed.code).toBe(3);
    expect(codeOf(failed)).toBe('MIGRATION_FAILED');
    const message = (JSON.parse(failed.stdout) as { message: string }).message;
    expect(message).toContain('Migration 1 (note) failed: canceling statement due to lock timeout');
    expect(message).toContain(`It waited for AccessExclusiveLock on accounts held by pid ${pid} (user ${ctx.cluster.user}, application "nightly-report", idle in transaction, its transaction began`);
    expect(message).toContain('last query: SELECT pg_backend_pid() AS pid)');
    expect(message).toContain(`SELECT pg_terminate_backend(${pid})`);
    expect(message).toContain('No migration was applied; its changes were rolled back.');
    await holder!.query('COMMIT');
    expect(await columns(db.name)).toBe('id');
    expect(await ctx.cluster.psql("SELECT state FROM migseal.migseal_migrations", db.name)).toBe('');
    expect(await ctx.cluster.psql("SELECT outcome FROM migseal.migseal_runs", db.name)).toBe('failed\n');
    // Once the report is gone, the same apply goes through.
    expect((await ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', db.url])).code).toBe(0);
    expect(await columns(db.name)).toBe('id,note');
  });

  it('fails within about the lock timeout, not twice it: reading the schema the failed run left does not wait for the same session again', async () => {
    const db = await freshDatabase();
    // Reading a view's definition takes a lock on its table: the schema read needs the lock the migration waited for.
    await ctx.cluster.psql('CREATE VIEW account_ids AS SELECT id FROM accounts;', db.name);
    const bundle = await ctx.world.bundle(ADD_COLUMN);
    const pid = await holdLock(db.url);
    const { result: failed, waits } = await watchLockWaits(db.url, ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', db.url, '--pg-lock-timeout', '3s', '--json']), {
      releaseAfterMs: 7000,
      release: () => holder!.query('COMMIT'),
    });
    // The migration's wait, as the server saw it (lock-wait.ts), then at most brief ones while the failed run is
    // recorded: not another wait of the lock timeout for the same session.
    const [first, ...later] = waits;
    expect(first?.atMostMs, JSON.stringify(waits)).toBeGreaterThanOrEqual(3000);
    expect(first?.atLeastMs, JSON.stringify(waits)).toBeLessThan(5500);
    expect(later.reduce((sum, w) => sum + w.atLeastMs, 0), JSON.stringify(waits)).toBeLessThan(1500);
    expect([failed.code, codeOf(failed)]).toEqual([3, 'MIGRATION_FAILED']);
    expect((JSON.parse(failed.stdout) as { message: string }).message).toContain(`held by pid ${pid} (user`);
    await holder!.query('COMMIT');
    expect(await columns(db.name)).toBe('id');
    expect(await ctx.cluster.psql('SELECT outcome FROM migseal.migseal_runs', db.name)).toBe('failed\n');
  });

  it("the environment's pgLockTimeout applies without a flag, and a migration's own SET wins over the flag inside it only", async () => {
    const dir = join(ctx.world.dir, 'keys-timeouts');
    mkdirSync(dir, { mode: 0o700, recursive: true });
    copyFileSync(ctx.world.key.publicPath, join(dir, 'release.pub'));
    const policy = writePolicy(dir, { keys: [{ key: ctx.world.key, roles: ['release'] }], environments: { default: { release: 1, pgLockTimeout: '500ms' } } });
    const db = await freshDatabase();
    const pid = await holdLock(db.url);
    const byPolicy = await ctx.world.migseal(['apply', await ctx.world.bundle(ADD_COLUMN), '--trust', policy, '--db', db.url]);
    expect(byPolicy.code).toBe(3);
    expect(byPolicy.stderr).toContain(`held by pid ${pid} (user`);
    await holder!.query('COMMIT');
    expect(await columns(db.name)).toBe('id');
    // The migration's own SET wins inside it, and does not outlive it, even as a session SET.
    const other = await freshDatabase();
    const own = await ctx.world.bundle({
      '1_own.up.sql': "SET lock_timeout = '42s';\nCREATE TABLE own AS SELECT current_setting('lock_timeout') AS lock;\n",
      '2_next.up.sql': "CREATE TABLE next AS SELECT current_setting('lock_timeout') AS lock;\n",
    });
    expect((await ctx.world.migseal(['apply', own, '--trust', ctx.world.policy, '--db', other.url, '--pg-lock-timeout', '2m'])).code).toBe(0);
    expect(await ctx.cluster.psql('SELECT (SELECT lock FROM own), (SELECT lock FROM next)', other.name)).toBe('42s|2min\n');
  });

  it('the defaults are lock_timeout 10s and statement_timeout 0, set for the migration only; --pg-statement-timeout stops a long statement', async () => {
    const db = await freshDatabase();
    const seen = await ctx.world.bundle({ '1_seen.up.sql': "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS statement;\n" });
    expect((await ctx.world.migseal(['apply', seen, '--trust', ctx.world.policy, '--db', db.url])).code).toBe(0);
    expect(await ctx.cluster.psql('SELECT lock, statement FROM seen', db.name)).toBe('10s|0\n');
    const slow = await ctx.world.bundle({ ...{ '1_seen.up.sql': "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS statement;\n" }, '2_slow.up.sql': 'CREATE TABLE slow AS SELECT 1 AS n FROM pg_sleep(5);\n' }, { release: '2' });
    const failed = await ctx.world.migseal(['apply', slow, '--trust', ctx.world.policy, '--db', db.url, '--pg-statement-timeout', '300ms']);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('Migration 2 (slow) failed: canceling statement due to statement timeout');
    expect(await ctx.cluster.psql("SELECT to_regclass('slow') IS NULL", db.name)).toBe('t\n');
  });

  it('a timeout that is not a duration is a usage error before anything runs', async () => {
    const result = await ctx.world.migseal(['apply', 'nothing.migseal', '--trust', ctx.world.policy, '--db', 'sqlite:x.db', '--pg-lock-timeout', '5', '--json']);
    expect(result.code).toBe(1);
    expect(codeOf(result)).toBe('USAGE');
    expect(result.stdout).toContain('--pg-lock-timeout takes a duration like 500ms, 10s, 2m or 1h, or 0 for no limit, not \\"5\\"');
  });
});
