/**
 * The PostgreSQL driver against a real throwaway server: scripts sent as one simple query
 * (a lone CREATE INDEX CONCURRENTLY, a file with its own BEGIN/COMMIT), the advisory lock,
 * a password only from the environment, and one refusal that leaves the database unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDriver } from '../../src/db/postgres.js';
import { startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import { removeDir } from '../helpers/fixtures.js';
import { codeOf, createWorld, type RunnerWorld } from '../helpers/runner-world.js';

const PASSWORD = 'pg-driver-pw-4Kd8';
let cluster: PostgresCluster;
let world: RunnerWorld;

beforeAll(async () => {
  cluster = await startPostgres({ passwordRole: { user: 'deploy', password: PASSWORD } });
  world = createWorld('migseal-pg-driver-');
});
afterAll(async () => {
  await cluster?.stop();
  if (world) removeDir(world.dir);
});

const FILES: Record<string, string> = {
  '1_create_users.up.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);\n',
  '1_create_users.down.sql': 'DROP TABLE users;\n',
  '2_index_concurrently.up.sql': 'CREATE INDEX CONCURRENTLY users_email ON users (email);\n',
  '2_index_concurrently.down.sql': 'DROP INDEX CONCURRENTLY users_email;\n',
  '3_own_transaction.up.sql': 'BEGIN;\nCREATE TABLE orders (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users (id));\nINSERT INTO users (email) VALUES (\'a@example.com\');\nCOMMIT;\n',
  '3_own_transaction.down.sql': 'DROP TABLE orders;\n',
};

describe('PostgreSQL driver', () => {
  it('gives the advisory lock to one session at a time, with LOCK_TIMEOUT after the wait', async () => {
    const url = await cluster.createDatabase('driver_lock');
    const first = await PostgresDriver.open(url, url);
    const second = await PostgresDriver.open(url, url);
    try {
      await first.lock(100);
      await expect(second.lock(200)).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
      await first.unlock();
      await second.lock(200);
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('applies a lone CREATE INDEX CONCURRENTLY and a file with its own BEGIN/COMMIT, with the password from the environment', async () => {
    await cluster.createDatabase('driver_apply');
    await cluster.psql('GRANT ALL ON SCHEMA public TO deploy; CREATE SCHEMA migseal AUTHORIZATION deploy', 'driver_apply');
    const db = cluster.urlFor('driver_apply').replace('postgres@', 'deploy@');
    const bundle = await world.bundle('pg', FILES, { dialect: 'postgres' });
    const result = await world.cli(['apply', bundle, '--trust', world.policy, '--db', db, '--json'], { MIGSEAL_DATABASE_PASSWORD: PASSWORD });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const applied = JSON.parse(result.stdout).applied as Array<{ version: string; mode: string }>;
    expect(applied.map((a) => [a.version, a.mode])).toEqual([
      ['1', 'transaction'],
      ['2', 'outside'],
      ['3', 'outside'],
    ]);
    expect(await cluster.psql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email'::regclass", 'driver_apply')).toBe('t\n');
    expect(await cluster.psql("SELECT version || ':' || state FROM migseal.migseal_migrations ORDER BY version", 'driver_apply')).toBe('1:applied\n2:applied\n3:applied\n');
    expect(await cluster.psql('SELECT count(*) FROM users', 'driver_apply')).toBe('1\n');

    // PGPASSWORD works too; a wrong password fails without being echoed.
    const again = await world.cli(['status', '--db', db], { PGPASSWORD: PASSWORD });
    expect(again.code).toBe(0);
    const wrong = await world.cli(['status', '--db', db], { PGPASSWORD: 'not-the-password-9q' });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/password authentication failed/);
    expect(wrong.stdout + wrong.stderr).not.toContain('not-the-password-9q');
  });

  it("T5.9 keeps its history in the migseal schema when a migration empties the search path (as pg_dump output does)", async () => {
    const url = await cluster.createDatabase('driver_search_path');
    const bundle = await world.bundle('pg-sp', {
      '1_from_dump.up.sql': "SELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.items (id integer NOT NULL);\n",
      '2_after.up.sql': 'CREATE TABLE public.more_items (id integer);\n',
    }, { dialect: 'postgres' });
    const result = await world.cli(['apply', bundle, '--trust', world.policy, '--db', url]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await cluster.psql("SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM migseal.migseal_migrations", 'driver_search_path')).toBe('1:applied,2:applied\n');
  });

  it('commits a script and the statement after it together, or neither: BEGIN travels with the script', async () => {
    const url = await cluster.createDatabase('driver_transaction');
    const driver = await PostgresDriver.open(url, url);
    try {
      await driver.exec('CREATE TABLE log (n int NOT NULL)');
      await driver.transaction(async () => {
        await driver.exec('CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);');
        await driver.query('INSERT INTO log VALUES (?)', [1]);
      });
      // The statement after the script fails: the script's changes go too.
      await expect(
        driver.transaction(async () => {
          await driver.exec('CREATE TABLE b (id int);');
          await driver.query('INSERT INTO log VALUES (?)', [null]);
        }),
      ).rejects.toThrow(/null value/);
      // The script fails half-way, at run time and at parse time: nothing of it stays, the session goes on.
      await expect(driver.transaction(() => driver.exec('CREATE TABLE c (id int);\nSELECT 1/0;'))).rejects.toThrow(/division by zero/);
      await expect(driver.transaction(() => driver.exec('CREATE TABLE d (id int);\nCREAT TABLE e (id int);'))).rejects.toThrow(/syntax error/);
      // A parameterised statement first: BEGIN is sent on its own, and ROLLBACK undoes the row.
      await expect(
        driver.transaction(async () => {
          await driver.query('INSERT INTO log VALUES (?)', [2]);
          await driver.exec('SELECT 1/0;');
        }),
      ).rejects.toThrow(/division by zero/);
      // A transaction that sends nothing commits nothing and leaves no transaction open.
      await driver.transaction(async () => undefined);
      const tables = await driver.query("SELECT string_agg(tablename, ',' ORDER BY tablename) AS t FROM pg_tables WHERE schemaname = 'public'");
      expect(tables[0]?.t).toBe('a,log');
      expect((await driver.query('SELECT string_agg(n::text, \',\' ORDER BY n) AS n FROM log'))[0]?.n).toBe('1');
      expect((await driver.query('SELECT count(*)::int AS n FROM a'))[0]?.n).toBe(1);
      // Outside transaction(), a script is sent as it is: a lone CREATE INDEX CONCURRENTLY still runs.
      await driver.exec('CREATE INDEX CONCURRENTLY a_id ON a (id)');
      expect((await driver.query("SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'a_id'"))[0]?.n).toBe(1);
    } finally {
      await driver.close();
    }
  });

  it('prepares a repeated statement once per connection, and it still works after the table it writes changes', async () => {
    const url = await cluster.createDatabase('driver_repeated');
    const driver = await PostgresDriver.open(url, url);
    try {
      await driver.exec('CREATE TABLE log (n int NOT NULL)');
      const insert = (n: number) => driver.transaction(() => driver.query('INSERT INTO log (n) VALUES (?)', [n], { repeated: true }));
      await insert(1);
      await driver.exec('ALTER TABLE log ADD COLUMN note text NOT NULL DEFAULT \'x\'');
      await insert(2);
      await driver.exec('DROP TABLE log; CREATE TABLE log (id serial, n bigint NOT NULL)');
      await insert(3);
      await expect(insert(Number.NaN)).rejects.toThrow();
      await insert(4);
      expect((await driver.query("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'migseal_%'"))[0]?.n).toBe(1);
      expect((await driver.query("SELECT string_agg(n::text, ',' ORDER BY n) AS n FROM log"))[0]?.n).toBe('3,4');
      // A migration that drops the session's prepared statements, in a transaction and outside one.
      await driver.transaction(async () => {
        await driver.exec('DEALLOCATE ALL;\nCREATE TABLE after_deallocate (id int);');
        await driver.query('INSERT INTO log (n) VALUES (?)', [5], { repeated: true });
      });
      await driver.exec('DISCARD ALL');
      await insert(6);
      expect((await driver.query("SELECT string_agg(n::text, ',' ORDER BY n) AS n FROM log"))[0]?.n).toBe('3,4,5,6');
    } finally {
      await driver.close();
    }
  });

  it('sends a statement held for COMMIT with it: it commits with the script, or fails the transaction and takes the script with it', async () => {
    const url = await cluster.createDatabase('driver_at_commit');
    const driver = await PostgresDriver.open(url, url);
    const held = { repeated: true, atCommit: true };
    try {
      await driver.exec('CREATE TABLE log (n int NOT NULL, note text)');
      const row = (n: number | null, note: string | null) => driver.query('INSERT INTO log (n, note) VALUES (?, ?)', [n, note], held);
      const tricky = "it's a \\ back'slash\n\"quoted\" — ünïcode 🙂 $$ $tag$ ?";
      await driver.transaction(async () => {
        await driver.exec('CREATE TABLE a (id int);');
        await row(1, tricky);
      });
      // The held statement fails at COMMIT: the script's table goes too.
      await expect(
        driver.transaction(async () => {
          await driver.exec('CREATE TABLE b (id int);');
          await row(null, 'never');
        }),
      ).rejects.toThrow(/null value/);
      // A failure in the runner after a statement was held: nothing of it is sent.
      await expect(
        driver.transaction(async () => {
          await driver.exec('CREATE TABLE c (id int);');
          await row(3, 'held');
          throw new Error('runner failed');
        }),
      ).rejects.toThrow('runner failed');
      // Outside a transaction, it runs at once; NULL is NULL.
      await row(4, null);
      const rows = await driver.query('SELECT n, note FROM log ORDER BY n');
      expect(rows).toEqual([
        { n: 1, note: tricky },
        { n: 4, note: null },
      ]);
      expect((await driver.query("SELECT string_agg(tablename, ',' ORDER BY tablename) AS t FROM pg_tables WHERE schemaname = 'public'"))[0]?.t).toBe('a,log');
      await expect(driver.query('INSERT INTO log (n) VALUES (?)', [1.5], held)).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/as an SQL literal/) });
    } finally {
      await driver.close();
    }
  });

  it('refuses drift before running anything, leaving the database as it was', async () => {
    const url = await cluster.createDatabase('driver_refusal');
    const first = await world.bundle('pg-r1', FILES, { dialect: 'postgres' });
    expect((await world.cli(['apply', first, '--trust', world.policy, '--db', url])).code).toBe(0);
    const edited = { ...FILES, '1_create_users.up.sql': 'CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL);\n', '4_more.up.sql': 'CREATE TABLE more (id int);\n' };
    const second = await world.bundle('pg-r2', edited, { dialect: 'postgres', release: '2' });
    const before = await cluster.psql('SELECT string_agg(migration_key || state || checksum, \',\' ORDER BY migration_key) FROM migseal.migseal_migrations', 'driver_refusal');
    const result = await world.cli(['apply', second, '--trust', world.policy, '--db', url, '--json']);
    expect(result.code).toBe(2);
    expect(codeOf(result)).toBe('MIGRATION_DRIFT');
    expect(await cluster.psql("SELECT to_regclass('more') IS NULL", 'driver_refusal')).toBe('t\n');
    expect(await cluster.psql('SELECT string_agg(migration_key || state || checksum, \',\' ORDER BY migration_key) FROM migseal.migseal_migrations', 'driver_refusal')).toBe(before);
  });
});
