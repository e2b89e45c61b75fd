/**
 * T5.7, T5.8 on a real PostgreSQL server: a signed migration that ends the runner's
 * transaction itself, in every spelling, then fails; and the server's own answer when a
 * script ends the transaction the runner opened for it.
 */
import { describe, expect, it } from 'vitest';
import { PostgresDriver } from '../../src/db/postgres.js';
import { describeFailure } from '../../src/apply/failure.js';
import { runScriptStep, ScriptFailure } from '../../src/apply/script-step.js';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { counterMigrations } from '../helpers/release-world.js';
import { plannedMigration } from '../helpers/planned-migration.js';

const ctx = usePostgresWorld();
let databases = 0;
const code = (stdout: string) => (JSON.parse(stdout) as { code?: string }).code;

describe('T5.8 a migration that ends the transaction itself, then fails (PostgreSQL)', () => {
  it.each([
    ['COMMIT', 'COMMIT;'],
    ['END', 'END;'],
    ['COMMIT AND CHAIN', 'COMMIT AND CHAIN;'],
    ['ABORT', 'ABORT;'],
    ['ROLLBACK AND CHAIN', 'ROLLBACK AND CHAIN;'],
    ['COMMIT after a dollar-quoted string', "SELECT $q$ ; $q$;COMMIT;"],
    ['COMMIT after a $ in an identifier', 'CREATE TABLE a$commit (id int);\ncommit;'],
  ])('%s', async (_name, spelling) => {
    const url = await ctx.cluster.createDatabase(`txend_${++databases}`);
    const bundle = await ctx.world.bundle({
      ...counterMigrations(2),
      '3_sneaky.up.sql': `CREATE TABLE part_one (id int);\n${spelling}\nCREATE TABLE part_two (id int);\nINSERT INTO no_such_table VALUES (1);\n`,
    });
    const result = await ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url, '--json']);
    expect(result.code).toBe(3);
    expect(code(result.stdout)).toBe('MIGRATION_FAILED');
    expect(result.stderr).toMatch(/Migration 3 \(sneaky\) failed: .*Migrations 1, 2 were applied and recorded; it ran outside migseal's transaction, so what it did before failing may be committed, and postgres:.* is marked dirty until migseal resolve --version 3\./);
    expect(result.stderr).not.toMatch(/rolled back/);
    expect((await ctx.cluster.psql("SELECT state FROM migseal.migseal_migrations WHERE version = '3'", `txend_${databases}`)).trim()).toBe('dirty');
  });
});


describe('T5.8 the runner asks PostgreSQL whether its transaction is still open', () => {
  async function forcedStep(sql: string) {
    const name = `txcheck_${++databases}`;
    const url = await ctx.cluster.createDatabase(name);
    const driver = await PostgresDriver.open(url, url);
    const marks: string[] = [];
    try {
      await driver.exec('CREATE TABLE marks (note text)');
      const error = await runScriptStep({
        driver,
        planned: plannedMigration(sql),
        sql,
        mode: 'transaction',
        markDirty: async (note) => void marks.push(note),
        recordDone: async () => void (await driver.query("INSERT INTO marks VALUES ('done')", [], { repeated: true, atCommit: true })),
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const tables = (await ctx.cluster.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'", name)).trim();
      const done = (await ctx.cluster.psql('SELECT count(*) FROM marks', name)).trim();
      return { error, marks, tables, done };
    } finally {
      await driver.close();
    }
  }

  it.each([
    ['COMMIT', 'COMMIT;'],
    ['COMMIT AND CHAIN (a new transaction, not the runner one)', 'COMMIT AND CHAIN;'],
    ['COMMIT then its own BEGIN', 'COMMIT; BEGIN;'],
  ])('a script that ends it with %s and succeeds is recorded dirty, never as applied', async (_name, spelling) => {
    const { error, marks, tables, done } = await forcedStep(`CREATE TABLE part_one (id int); ${spelling} CREATE TABLE part_two (id int);`);
    expect(error).toBeInstanceOf(ScriptFailure);
    expect((error as ScriptFailure).partlyCommitted).toBe(true);
    const coded = describeFailure(error, [], 'postgres:x', 'applied');
    expect(coded.code).toBe('MIGRATION_PARTLY_COMMITTED');
    expect(coded.message).toMatch(/part of its work was committed without its history row/);
    expect(marks).toEqual(["the script ended migseal's transaction itself, so part of its work was committed"]);
    // The history write that travelled with the check never committed.
    expect(done).toBe('0');
    expect(tables.split(',')).toContain('part_one');
  });

  it('a script that commits it and then fails says it committed part of its work', async () => {
    const { error, tables } = await forcedStep('CREATE TABLE part_one (id int); COMMIT; CREATE TABLE part_two (id int); INSERT INTO no_such_table VALUES (1);');
    const coded = describeFailure(error, [], 'postgres:x', 'applied');
    expect(coded.code).toBe('MIGRATION_PARTLY_COMMITTED');
    expect(coded.message).toMatch(/and then failed: relation "no_such_table" does not exist, so part of its work was committed/);
    expect(tables).toBe('marks,part_one');
  });

  it('a script that commits it, opens its own and then fails is still found out', async () => {
    const { error, tables } = await forcedStep('CREATE TABLE part_one (id int); COMMIT; BEGIN; CREATE TABLE part_two (id int); INSERT INTO no_such_table VALUES (1);');
    expect(describeFailure(error, [], 'postgres:x', 'applied').code).toBe('MIGRATION_PARTLY_COMMITTED');
    expect(tables).toBe('marks,part_one');
  });

  it('a procedure that commits cannot end it: the server refuses, and everything is rolled back', async () => {
    const { error, tables, marks } = await forcedStep(
      "CREATE TABLE part_one (id int); CREATE PROCEDURE sneaky() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$; CALL sneaky();",
    );
    const coded = describeFailure(error, [], 'postgres:x', 'applied');
    expect(coded.code).toBe('MIGRATION_FAILED');
    expect(coded.message).toMatch(/invalid transaction termination.*its changes were rolled back\.$/);
    expect(marks).toEqual([]);
    expect(tables).toBe('marks');
  });

  it('a script that fails inside it is rolled back and says so', async () => {
    const { error, tables } = await forcedStep('CREATE TABLE part_one (id int); INSERT INTO no_such_table VALUES (1);');
    expect(describeFailure(error, [], 'postgres:x', 'applied').message).toMatch(/its changes were rolled back\.$/);
    expect(tables).toBe('marks');
  });
});
