/**
 * migseal's own statements wait for another session's lock as a migration's do, and name
 * that session when they give up: reading the history before a run (a LOCK TABLE on a migseal
 * table), writing a migration's history row (a SHARE lock on the table: the row's INSERT is prepared, and its rows
 * travel with the COMMIT, in the migration's transaction), and
 * adopt's read of the peer tool's table.
 */
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { codeOf } from '../helpers/refusal.js';

const ctx = usePostgresWorld();
const DB = 'history_lock';
let url = '';
let second = '';
let holder: pg.Client | undefined;

const FIRST = { '1_accounts.up.sql': 'CREATE TABLE accounts (id integer PRIMARY KEY);\n' };

beforeAll(async () => {
  url = await ctx.cluster.createDatabase(DB);
  expect((await ctx.world.migseal(['apply', await ctx.world.bundle(FIRST), '--trust', ctx.world.policy, '--db', url])).code).toBe(0);
  second = await ctx.world.bundle({ ...FIRST, '2_note.up.sql': 'ALTER TABLE accounts ADD COLUMN note text;\n' }, { release: '2' });
});

afterEach(async () => {
  await holder?.end().catch(() => undefined);
  holder = undefined;
});

async function holdLock(target: string, table: string, mode: string): Promise<number> {
  holder = new pg.Client({ connectionString: target, application_name: 'nightly-report' });
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query(`LOCK TABLE ${table} IN ${mode} MODE`);
  return Number((await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
}

function named(message: string, pid: number, lock: string): void {
  expect(message).toContain(`canceling statement due to lock timeout. It waited for ${lock} held by pid ${pid} (user ${ctx.cluster.user}, application "nightly-report", idle in transaction, its transaction began`);
  expect(message).toContain('last query: SELECT pg_backend_pid() AS pid)');
  expect(message).toContain(`SELECT pg_terminate_backend(${pid})`);
}

const columns = () => ctx.cluster.psql("SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'accounts'", DB);

describe('apply behind a lock on migseal\'s own tables', () => {
  it('reading the history gives up after --pg-lock-timeout, names the session, and changes nothing (exit 4)', async () => {
    const before = await ctx.cluster.dump(DB);
    const pid = await holdLock(url, 'migseal.migseal_runs', 'ACCESS EXCLUSIVE');
    const started = Date.now();
    const result = await ctx.world.migseal(['apply', second, '--trust', ctx.world.policy, '--db', url, '--pg-lock-timeout', '500ms', '--json']);
    expect(Date.now() - started).toBeLessThan(6000);
    await holder!.query('COMMIT');
    expect([result.code, codeOf(result)], result.stdout).toEqual([4, 'DATABASE_UNAVAILABLE']);
    const { message, details } = JSON.parse(result.stdout) as { message: string; details: { lockHolders: Array<{ pid: number }> } };
    named(message, pid, 'AccessShareLock on migseal.migseal_runs');
    expect(details.lockHolders.map((h) => h.pid)).toEqual([pid]);
    expect(await ctx.cluster.dump(DB)).toBe(before);
  });

  it("writing a migration's history row gives up, names the session, and the migration is rolled back (exit 3)", async () => {
    // SHARE lets the history be read, and stops the row from being written.
    const pid = await holdLock(url, 'migseal.migseal_migrations', 'SHARE');
    const result = await ctx.world.migseal(['apply', second, '--trust', ctx.world.policy, '--db', url, '--pg-lock-timeout', '500ms', '--json']);
    await holder!.query('COMMIT');
    expect([result.code, codeOf(result)], result.stdout).toEqual([3, 'DATABASE_ERROR']);
    const { message, details } = JSON.parse(result.stdout) as { message: string; details: { lockHolders: Array<{ pid: number }> } };
    named(message, pid, 'RowExclusiveLock on migseal.migseal_migrations');
    expect(message).toContain('No migration was applied.');
    expect(details.lockHolders.map((h) => h.pid)).toEqual([pid]);
    expect(await columns()).toBe('id\n');
    expect(await ctx.cluster.psql('SELECT version FROM migseal.migseal_migrations ORDER BY version', DB)).toBe('1\n');
    expect(await ctx.cluster.psql('SELECT outcome FROM migseal.migseal_runs ORDER BY started_at', DB)).toBe('succeeded\nfailed\n');
  });
});

it("adopt gives up reading the peer tool's table, names the session, and changes nothing (exit 4)", async () => {
  const peerUrl = await ctx.cluster.createDatabase('history_lock_peer');
  await ctx.cluster.psql('CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL); INSERT INTO schema_migrations VALUES (1, false); CREATE TABLE accounts (id integer PRIMARY KEY);', 'history_lock_peer');
  const before = await ctx.cluster.dump('history_lock_peer');
  const pid = await holdLock(peerUrl, 'schema_migrations', 'ACCESS EXCLUSIVE');
  const result = await ctx.world.migseal(['adopt', second, '--trust', ctx.world.policy, '--from', 'golang-migrate', '--db', peerUrl, '--pg-lock-timeout', '500ms', '--json']);
  await holder!.query('COMMIT');
  expect([result.code, codeOf(result)], result.stdout).toEqual([4, 'DATABASE_UNAVAILABLE']);
  named((JSON.parse(result.stdout) as { message: string }).message, pid, 'AccessShareLock on schema_migrations');
  expect(await ctx.cluster.dump('history_lock_peer')).toBe(before);
});
