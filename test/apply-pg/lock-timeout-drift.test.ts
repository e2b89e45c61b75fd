/**
 * A run that gives up on a lock part-way has committed the migrations before the one that
 * waited, and the schema it left is what the next run's drift check compares with. Reading
 * that schema needs the lock that is still held (a view on the locked table), so it records
 * none. The next run must not call the committed migration's work drift: drift says it cannot
 * tell (exit 1, not SCHEMA_DRIFTED), apply goes ahead with a warning and records the schema
 * anew, and a change by hand after that is drift again.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, expect, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { codeOf } from '../helpers/refusal.js';
import { writePolicy } from '../helpers/fixtures.js';

const ctx = usePostgresWorld();
const DB = 'lock_timeout_drift';
let url = '';
let policy = '';

const FIRST = {
  '1_tables.up.sql': 'CREATE TABLE accounts (id integer PRIMARY KEY);\nCREATE TABLE orders (id integer PRIMARY KEY);\nCREATE VIEW order_ids AS SELECT id FROM orders;\n',
};
// Migration 2 runs long enough for another session to lock orders after apply's drift check read the schema.
const SECOND = { ...FIRST, '2_accounts.up.sql': 'ALTER TABLE accounts ADD COLUMN a integer;\nSELECT pg_sleep(1.5);\n', '3_orders.up.sql': 'ALTER TABLE orders ADD COLUMN b integer;\n' };

beforeAll(async () => {
  const dir = join(ctx.world.dir, 'keys-refuse-drift');
  mkdirSync(dir, { mode: 0o700, recursive: true });
  copyFileSync(ctx.world.key.publicPath, join(dir, 'release.pub'));
  policy = writePolicy(dir, { keys: [{ key: ctx.world.key, roles: ['release'] }], environments: { default: { release: 1, onDrift: 'refuse' } } });
  url = await ctx.cluster.createDatabase(DB);
  expect((await ctx.world.migseal(['apply', await ctx.world.bundle(FIRST), '--trust', policy, '--db', url])).code).toBe(0);
});

it('a run that gave up on a lock after committing a migration is not followed by a false SCHEMA_DRIFTED', async () => {
  const second = await ctx.world.bundle(SECOND, { release: '2' });
  const holder = new pg.Client({ connectionString: url, application_name: 'nightly-report' });
  await holder.connect();
  try {
    const running = ctx.world.migseal(['apply', second, '--trust', policy, '--db', url, '--pg-lock-timeout', '1s', '--json']);
    for (let i = 0; i < 200; i++) {
      const { rows } = await holder.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'migseal' AND query LIKE '%pg_sleep(1.5)%' AND state = 'active'");
      if (rows.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    const failed = await running;
    expect([failed.code, codeOf(failed)], failed.stdout).toEqual([3, 'MIGRATION_FAILED']);
    expect((JSON.parse(failed.stdout) as { message: string }).message).toContain('Migration 3 (orders) failed: canceling statement due to lock timeout');
    await holder.query('COMMIT');
  } finally {
    await holder.end();
  }
  expect(await ctx.cluster.psql("SELECT version FROM migseal.migseal_migrations WHERE state = 'applied' ORDER BY version", DB)).toBe('1\n2\n');
  // The schema differs from the recorded one by migration 2's column, which is migseal's own work, not drift.
  const drift = await ctx.world.migseal(['drift', '--db', url, '--json']);
  expect(codeOf(drift), drift.stdout).not.toBe('SCHEMA_DRIFTED');
  expect(drift.code, drift.stdout).toBe(1);
  const { message, unrecorded } = JSON.parse(drift.stdout) as { message: string; unrecorded: { versions: string[]; outcome: string } };
  expect(unrecorded).toMatchObject({ versions: ['2'], outcome: 'failed' });
  expect(message).toContain('(failed) wrote migration 2 after it was recorded and could not record the schema it left');
  // The same apply finishes the release (the policy refuses drift), says why it did not refuse, and records the schema.
  const again = await ctx.world.migseal(['apply', second, '--trust', policy, '--db', url, '--json']);
  expect(again.code, again.stdout).toBe(0);
  expect(again.stdout).toContain('drift cannot be told apart from it, so the run went ahead and records the schema anew');
  expect((await ctx.world.migseal(['drift', '--db', url])).code).toBe(0);
  expect(await ctx.cluster.psql("SELECT version FROM migseal.migseal_migrations WHERE state = 'applied' ORDER BY version", DB)).toBe('1\n2\n3\n');
  // A change by hand is still drift.
  await ctx.cluster.psql('ALTER TABLE accounts ADD COLUMN by_hand integer;', DB);
  const handmade = await ctx.world.migseal(['drift', '--db', url, '--json']);
  expect([handmade.code, codeOf(handmade)]).toEqual([2, 'SCHEMA_DRIFTED']);
  expect(handmade.stdout).toContain('accounts.by_hand');
});
