/**
 * On PostgreSQL a migration in a transaction travels in one message, BEGIN to COMMIT: its
 * script, the check that the transaction is still migseal's, its history row and chain entry.
 * What that interleaving could blur, on a real server: a failure in the script against one in
 * the record after it, a script's own division by zero (the check's way of failing) or a
 * column named like the check, a script that does not end where it should (a trailing line
 * comment, no last semicolon, an unterminated string), a script that changes the settings the
 * duration is measured with, and the duration the server measured, recorded alike in the row,
 * in its hash-chained entry and in what the runner reports.
 */
import { describe, expect, it } from 'vitest';
import { PostgresDriver } from '../../src/db/postgres.js';
import { describeFailure } from '../../src/apply/failure.js';
import { runScriptStep, ScriptFailure } from '../../src/apply/script-step.js';
import { ensureHistorySchema } from '../../src/apply/history-schema.js';
import { readHistory, writeMigration, type AppliedMigration } from '../../src/apply/history.js';
import { join } from 'node:path';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { plannedMigration } from '../helpers/planned-migration.js';
import { BIN, runNode } from '../helpers/cli.js';
import { recordModuleLoads } from '../helpers/module-loads.js';

const ctx = usePostgresWorld();
let databases = 0;

const row = (durationMs: number): AppliedMigration => ({
  key: '7',
  version: '7',
  name: 'held',
  kind: 'versioned',
  checksum: '0'.repeat(64),
  release: '1',
  bundleDigest: 'f'.repeat(64),
  appliedAt: '2026-01-01T00:00:00.000Z',
  appliedBy: 'test',
  durationMs,
  state: 'applied',
  runId: 'run-1',
  note: `took ${durationMs} ms`,
});

/** Runs one migration step with migseal's real history row and chain entry as its record; `extra` runs in the record after them. */
async function step(sql: string, extra?: (driver: PostgresDriver) => Promise<void>) {
  const name = `held_${++databases}`;
  const url = await ctx.cluster.createDatabase(name);
  const driver = await PostgresDriver.open(url, url);
  try {
    await driver.fixHistoryPlace([]);
    await ensureHistorySchema(driver);
    const outcome = await runScriptStep({
      driver,
      planned: plannedMigration(sql, 'held'),
      sql,
      mode: 'transaction',
      markDirty: async () => undefined,
      recordDone: async (took) => {
        await writeMigration(driver, row(took), false);
        await extra?.(driver);
      },
    }).then(
      (took) => ({ took, error: undefined }),
      (error: unknown) => ({ took: undefined, error }),
    );
    const history = await readHistory(driver);
    const tables = (await ctx.cluster.psql("SELECT coalesce(string_agg(tablename, ',' ORDER BY tablename), '') FROM pg_tables WHERE schemaname = 'public'", name)).trim();
    return { ...outcome, history, tables };
  } finally {
    await driver.close();
  }
}

describe('a migration sent in one message (PostgreSQL)', () => {
  it('records the duration the server measured, the same in its row, its chain entry (which checks) and the report', async () => {
    const { took, error, history } = await step('CREATE TABLE slow (id int); SELECT pg_sleep(0.25);');
    expect(error).toBeUndefined();
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(60_000);
    const [recorded] = history.migrations;
    expect(recorded?.durationMs).toBe(took);
    // The number stood for the duration inside a string too.
    expect(recorded?.note).toBe(`took ${took} ms`);
    expect(history.chain).toBeDefined();
  });

  it.each([
    ['a last line comment without a line break', 'CREATE TABLE t (id int); -- the end'],
    ['no last semicolon', 'CREATE TABLE t (id int)'],
    ['its own settings changed (search path, DateStyle, time zone)', "SET search_path = nowhere; SET DateStyle = 'SQL, DMY'; SET TIME ZONE 'Asia/Kathmandu'; CREATE TABLE public.t (id int);"],
  ])('runs a script with %s', async (_name, sql) => {
    const { error, history, tables, took } = await step(sql);
    expect(error).toBeUndefined();
    expect(tables).toBe('t');
    expect(history.migrations[0]?.durationMs).toBe(took);
    expect(took).toBeGreaterThanOrEqual(0);
  });

  it.each([
    ['its own division by zero (the way the check fails)', 'CREATE TABLE part_one (id int); SELECT 1 / 0;', /division by zero/],
    ['a column named like the check, then a failure', 'CREATE TABLE part_one (id int); SELECT 1 AS migseal_transaction_check, 1 AS migseal_check_x; SELECT 1 / 0;', /division by zero/],
    ['a string it never closes (it would swallow the check)', "CREATE TABLE part_one (id int); SELECT 'never closed;", /unterminated quoted string/],
    ['a dollar quote it never closes', 'CREATE TABLE part_one (id int); SELECT $q$ never closed;', /unterminated dollar-quoted string/],
  ])('a script that fails with %s is rolled back whole, as the script failing', async (_name, sql, message) => {
    const { error, history, tables } = await step(sql);
    expect(error).toBeInstanceOf(ScriptFailure);
    expect((error as ScriptFailure).partlyCommitted).toBe(false);
    const coded = describeFailure(error, [], 'postgres:x', 'applied');
    expect(coded.code).toBe('MIGRATION_FAILED');
    expect(coded.message).toMatch(message);
    expect(coded.message).toMatch(/its changes were rolled back\.$/);
    expect(tables).toBe('');
    expect(history.migrations).toEqual([]);
  });

  it('a failure in the record after a script that ran (even a division by zero) is not the script failing, and nothing of the migration commits', async () => {
    const { error, history, tables } = await step('CREATE TABLE part_one (id int);', (driver) =>
      driver.query('SELECT 1 / (CAST(? AS int) - 1) AS failing_record', [1], { repeated: true, atCommit: true }).then(() => undefined),
    );
    expect(error).toBeDefined();
    expect(error).not.toBeInstanceOf(ScriptFailure);
    expect(String((error as Error).message)).toMatch(/division by zero/);
    expect(tables).toBe('');
    expect(history.migrations).toEqual([]);
  });

  it('a statement of the record that cannot wait for COMMIT sends the script first, and still records the duration it took', async () => {
    const { took, error, history, tables } = await step('CREATE TABLE t (id int); SELECT pg_sleep(0.05);', async (driver) => {
      // Not repeated, with parameters: it needs a round trip of its own.
      const [seen] = await driver.query('SELECT count(*)::int AS n FROM pg_catalog.pg_tables WHERE tablename = ?', ['t']);
      expect(seen?.n).toBe(1);
    });
    expect(error).toBeUndefined();
    expect(tables).toBe('t');
    expect(took).toBeGreaterThanOrEqual(50);
    expect(history.migrations[0]?.durationMs).toBe(took);
    expect(history.migrations[0]?.note).toBe(`took ${took} ms`);
  });

  const forge = `DO $f$ BEGIN EXECUTE pg_catalog.format('CREATE TEMP VIEW forged AS SELECT 1 AS %I, 5 AS took', 'migseal_check_' || pg_catalog.current_setting('migseal.xact')); END $f$;
SELECT * FROM forged;`;
  it.each([
    ['then ends the transaction', `CREATE TABLE part_one (id int); ${forge} COMMIT; CREATE TABLE part_two (id int);`, "ended migseal's transaction itself"],
    ['then ends the transaction and fails', `CREATE TABLE part_one (id int); ${forge} COMMIT; INSERT INTO no_such_table VALUES (1);`, 'no_such_table'],
  ])('a script that reads the token and sends a check row of its own %s is still found out', async (_name, sql, said) => {
    const { error, history, tables } = await step(sql);
    expect(error).toBeInstanceOf(ScriptFailure);
    expect((error as ScriptFailure).partlyCommitted).toBe(true);
    const coded = describeFailure(error, [], 'postgres:x', 'applied');
    expect(coded.code).toBe('MIGRATION_PARTLY_COMMITTED');
    expect(coded.message + String((error as Error).message)).toContain(said);
    expect(history.migrations).toEqual([]);
    expect(tables.split(',')).toContain('part_one');
  });

  it('a script that ends the transaction is found out as before: marked partly committed, its record never written', async () => {
    const { error, history, tables } = await step('CREATE TABLE part_one (id int); COMMIT; CREATE TABLE part_two (id int);');
    expect(error).toBeInstanceOf(ScriptFailure);
    expect((error as ScriptFailure).partlyCommitted).toBe(true);
    expect(describeFailure(error, [], 'postgres:x', 'applied').code).toBe('MIGRATION_PARTLY_COMMITTED');
    expect(history.migrations).toEqual([]);
    expect(tables.split(',')).toContain('part_one');
  });
});

it('an apply to PostgreSQL through the CLI does not load the SQLite driver (better-sqlite3 and its native addon)', async () => {
  const url = await ctx.cluster.createDatabase('held_loads');
  const bundle = await ctx.world.bundle({ '1_items.up.sql': 'CREATE TABLE items (id bigint PRIMARY KEY);\n', '1_items.down.sql': 'DROP TABLE items;\n' });
  const recording = recordModuleLoads(ctx.world.dir, 'pg-apply');
  const result = await runNode([...recording.nodeArgs, BIN, 'apply', bundle, '--trust', ctx.world.policy, '--db', url], {
    cwd: ctx.world.dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MIGSEAL_AUDIT_LOG: join(ctx.world.dir, 'loads-audit.jsonl') },
  });
  expect(result.code, result.stderr).toBe(0);
  expect((await ctx.cluster.psql("SELECT to_regclass('public.items') IS NOT NULL", 'held_loads')).trim()).toBe('t');
  const { packages, files } = recording.loaded();
  expect(packages).toContain('pg');
  expect(packages).not.toContain('better-sqlite3');
  expect(files.filter((f) => f.endsWith('.node'))).toEqual([]);
});
