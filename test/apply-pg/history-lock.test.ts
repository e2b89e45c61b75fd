/**
 * migseal's own statements wait for another session's lock as a migration's do, and name
 * that session when they give up: reading the history before a run (a LOCK TABLE on a migseal
 * table), writing a migration's history row (a SHARE lock on the table: the row's INSERT is prepared, and its rows
 * travel with the COMMIT, in the migration's transaction), and
 * adopt's read of the peer tool's table.
 *
 * A run that gives up on a lock part-way has committed the migrations before the one that
 * waited, and the schema it left is what the next run's drift check compares with. Reading
 * that schema needs the lock that is still held (a view on the locked table), so it records
 * none. The next run must not call the committed migration's work drift, nor let a change by
 * hand since then through: drift and apply say SCHEMA_UNRECORDED (exit 2, nothing runs) until
 * drift --accept records the schema, and a change by hand after that is drift again.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { codeOf } from '../helpers/refusal.js';
import { onlyWait, watchLockWaits } from '../helpers/lock-wait.js';
import { writePolicy } from '../helpers/fixtures.js';

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
    // The wait as the server saw it (lock-wait.ts): a run that waits 4 s past its timeout gets the lock, and goes on.
    const { result, waits } = await watchLockWaits(url, ctx.world.migseal(['apply', second, '--trust', ctx.world.policy, '--db', url, '--pg-lock-timeout', '500ms', '--json']), {
      releaseAfterMs: 4500,
      release: () => holder!.query('COMMIT'),
    });
    const wait = onlyWait(waits);
    expect(wait.atMostMs, JSON.stringify(wait)).toBeGreaterThanOrEqual(500);
    expect(wait.atLeastMs, JSON.stringify(wait)).toBeLessThan(3000);
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

const DRIFT_DB = 'lock_timeout_drift';
let policy = '';

const DRIFT_FIRST = {
  '1_tables.up.sql': 'CREATE TABLE accounts (id integer PRIMARY KEY);\nCREATE TABLE orders (id integer PRIMARY KEY);\nCREATE VIEW order_ids AS SELECT id FROM orders;\n',
};
// Migration 2 waits until the test lets it go (an advisory lock the test holds, tried without waiting, so no
// lock_timeout ends it): another session locks orders after apply's drift check read the schema, however slow the
// machine.
const GATE = 4_242_002;
const DRIFT_SECOND = {
  ...DRIFT_FIRST,
  '2_accounts.up.sql': `ALTER TABLE accounts ADD COLUMN a integer;\nDO $$ BEGIN WHILE NOT pg_try_advisory_xact_lock(${GATE}) LOOP PERFORM pg_sleep(0.02); END LOOP; END $$;\n`,
  '3_orders.up.sql': 'ALTER TABLE orders ADD COLUMN b integer;\n',
};

describe('a run that gave up on a lock part-way', () => {
  let driftUrl = '';
  beforeAll(async () => {
    const dir = join(ctx.world.dir, 'keys-refuse-drift');
    mkdirSync(dir, { mode: 0o700, recursive: true });
    copyFileSync(ctx.world.key.publicPath, join(dir, 'release.pub'));
    policy = writePolicy(dir, { keys: [{ key: ctx.world.key, roles: ['release'] }], environments: { default: { release: 1, onDrift: 'refuse' } } });
    driftUrl = await ctx.cluster.createDatabase(DRIFT_DB);
    expect((await ctx.world.migseal(['apply', await ctx.world.bundle(DRIFT_FIRST), '--trust', policy, '--db', driftUrl])).code).toBe(0);
  });

  it('a run that gave up on a lock after committing a migration is followed by SCHEMA_UNRECORDED, not a false SCHEMA_DRIFTED, until drift --accept', async () => {
    const second = await ctx.world.bundle(DRIFT_SECOND, { release: '2' });
    const holder = new pg.Client({ connectionString: driftUrl, application_name: 'nightly-report' });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(${GATE})`);
      const running = ctx.world.migseal(['apply', second, '--trust', policy, '--db', driftUrl, '--pg-lock-timeout', '1s', '--json']);
      const atGate = async () => (await holder.query("SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'migseal%' AND query LIKE '%pg_try_advisory_xact_lock%' AND state = 'active'")).rows.length > 0;
      while (!(await atGate())) await new Promise((resolve) => setTimeout(resolve, 25));
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
      await holder.query(`SELECT pg_advisory_unlock(${GATE})`);
      const failed = await running;
      expect([failed.code, codeOf(failed)], failed.stdout).toEqual([3, 'MIGRATION_FAILED']);
      expect((JSON.parse(failed.stdout) as { message: string }).message).toContain('Migration 3 (orders) failed: canceling statement due to lock timeout');
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    expect(await ctx.cluster.psql("SELECT version FROM migseal.migseal_migrations WHERE state = 'applied' ORDER BY version", DRIFT_DB)).toBe('1\n2\n');
    // The schema differs from the recorded one by migration 2's column, migseal's own work: not called drift, and
    // not let through either, since a change by hand since then could not be told apart from it.
    const drift = await ctx.world.migseal(['drift', '--db', driftUrl, '--json']);
    expect([drift.code, codeOf(drift)], drift.stdout).toEqual([2, 'SCHEMA_UNRECORDED']);
    const { message, unrecorded } = JSON.parse(drift.stdout) as { message: string; unrecorded: { versions: string[]; outcome: string } };
    expect(unrecorded).toMatchObject({ versions: ['2'], outcome: 'failed' });
    expect(message).toContain('(failed) wrote migration 2 after it was recorded and could not record the schema it left');
    // apply refuses it (the policy refuses drift) and changes nothing, naming the way out.
    const before = await ctx.cluster.dump(DRIFT_DB);
    const refused = await ctx.world.migseal(['apply', second, '--trust', policy, '--db', driftUrl, '--json']);
    expect([refused.code, codeOf(refused)], refused.stdout).toEqual([2, 'SCHEMA_UNRECORDED']);
    const refusal = (JSON.parse(refused.stdout) as { message: string }).message;
    expect(refusal).toContain('(failed) wrote migration 2 after it was recorded and could not record the schema it left');
    expect(refusal).toContain('migseal drift --db URL --accept --reason TEXT');
    expect(await ctx.cluster.dump(DRIFT_DB)).toBe(before);
    // The operator looks, records the schema as it is, and the same apply finishes the release.
    const accepted = await ctx.world.migseal(['drift', '--db', driftUrl, '--accept', '--reason', 'migration 2 of the run that gave up on a lock']);
    expect(accepted.code, accepted.stderr).toBe(0);
    const again = await ctx.world.migseal(['apply', second, '--trust', policy, '--db', driftUrl, '--json']);
    expect(again.code, again.stdout).toBe(0);
    expect((await ctx.world.migseal(['drift', '--db', driftUrl])).code).toBe(0);
    expect(await ctx.cluster.psql("SELECT version FROM migseal.migseal_migrations WHERE state = 'applied' ORDER BY version", DRIFT_DB)).toBe('1\n2\n3\n');
    // A change by hand is still drift.
    await ctx.cluster.psql('ALTER TABLE accounts ADD COLUMN by_hand integer;', DRIFT_DB);
    const handmade = await ctx.world.migseal(['drift', '--db', driftUrl, '--json']);
    expect([handmade.code, codeOf(handmade)]).toEqual([2, 'SCHEMA_DRIFTED']);
    expect(handmade.stdout).toContain('accounts.by_hand');
  });
});
