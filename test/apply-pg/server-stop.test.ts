/**
 * The PostgreSQL server stops (pg_ctl stop -m immediate) while a migration runs: apply
 * exits 3 with a clear message; after the restart the completed migrations are recorded,
 * the interrupted one left no trace, nothing is dirty, and a re-run completes.
 */
import { describe, expect, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { counterMigrations } from '../helpers/release-world.js';

const ctx = usePostgresWorld();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Migration 6 sleeps as long as the database setting says (30 s for the first run, 0 after).
const MIGRATIONS = {
  ...counterMigrations(8),
  '6_step_6.up.sql': "CREATE TABLE t6 (id INTEGER PRIMARY KEY, note TEXT);\nINSERT INTO ran (v) VALUES (6);\nSELECT pg_sleep(coalesce(nullif(current_setting('test.sleep', true), ''), '0')::float);\n",
};

describe('T4.3 PostgreSQL stops in the middle of a run', () => {
  it('exits 3 naming what happened, leaves a consistent database, and a re-run completes', async () => {
    const bundle = await ctx.world.bundle(MIGRATIONS, { release: '1', dialect: 'postgres' });
    const url = await ctx.cluster.createDatabase('stopped');
    await ctx.cluster.psql("ALTER DATABASE stopped SET test.sleep = '30'", 'postgres');

    const running = ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url]);
    for (let i = 0; ; i++) {
      const sleeping = await ctx.cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'stopped' AND query LIKE '%pg_sleep%' AND state = 'active'", 'postgres');
      if (sleeping.trim() === '1') break;
      expect(i, 'migration 6 never started').toBeLessThan(600);
      await sleep(50);
    }
    await ctx.cluster.halt('immediate');
    const result = await running;
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^migseal: failed: /);
    expect(result.stderr).toMatch(/Migration 6 \(step_6\) failed|failed during the run/);
    expect(result.stderr).toMatch(/Migrations 1, 2, 3, 4, 5 were applied and recorded/);

    await ctx.cluster.restart!();
    const history = await ctx.cluster.psql("SELECT string_agg(version, ',' ORDER BY version::int) FROM migseal.migseal_migrations WHERE state = 'applied'", 'stopped');
    expect(history.trim()).toBe('1,2,3,4,5');
    expect((await ctx.cluster.psql("SELECT count(*) FROM migseal.migseal_migrations WHERE state = 'dirty'", 'stopped')).trim()).toBe('0');
    expect((await ctx.cluster.psql("SELECT to_regclass('t6') IS NULL", 'stopped')).trim()).toBe('t');
    expect((await ctx.cluster.psql("SELECT string_agg(v::text, ',' ORDER BY v) FROM ran", 'stopped')).trim()).toBe('1,2,3,4,5');

    await ctx.cluster.psql('ALTER DATABASE stopped RESET test.sleep', 'postgres');
    const rerun = await ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url]);
    expect(rerun.stderr).toBe('');
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(/applied 3 migrations .* \(5 already applied\)/);
    expect((await ctx.cluster.psql("SELECT string_agg(v::text, ',' ORDER BY v) FROM ran", 'stopped')).trim()).toBe('1,2,3,4,5,6,7,8');
  }, 120_000);
});
