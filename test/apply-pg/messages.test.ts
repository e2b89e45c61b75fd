/**
 * What PostgreSQL said, in a failed migration's message: DETAIL, HINT, the error position as
 * the script's line and column with the statement's first line; and a failed CREATE INDEX
 * CONCURRENTLY's INVALID index, named with the statement that drops it before resolve.
 */
import { describe, expect, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';

const ctx = usePostgresWorld();
let databases = 0;

async function freshDatabase(): Promise<{ name: string; url: string }> {
  const name = `messages_${++databases}`;
  return { name, url: await ctx.cluster.createDatabase(name) };
}
const apply = (bundle: string, url: string) => ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url]);

describe('a failed migration on PostgreSQL says what the server said', () => {
  it.each<[title: string, files: Record<string, string>, says: string | RegExp]>([
    [
      'the position as line and column of the script, with the statement it points into',
      { '1_users.up.sql': 'CREATE TABLE users (id integer PRIMARY KEY);\n\n-- the second statement\nINSERT INTO users (id, nme)\n  VALUES (1, 2);\n' },
      'Migration 1 (users) failed: column "nme" of relation "users" does not exist at line 4, column 24 (INSERT INTO users (id, nme)).',
    ],
    [
      'DETAIL',
      { '1_users.up.sql': 'CREATE TABLE users (id integer PRIMARY KEY);\nINSERT INTO users VALUES (1);\nINSERT INTO users VALUES (1);\n' },
      'duplicate key value violates unique constraint "users_pkey". DETAIL: Key (id)=(1) already exists',
    ],
    [
      'HINT',
      { '1_f.up.sql': 'SELECT no_such_function(1);\n' },
      /function no_such_function\(integer\) does not exist at line 1, column 8 \(SELECT no_such_function\(1\);\)\. HINT: No function matches the given name and argument types/,
    ],
  ])('%s', async (_title, files, says) => {
    const failed = await apply(await ctx.world.bundle(files), (await freshDatabase()).url);
    expect(failed.code).toBe(3);
    if (typeof says === 'string') expect(failed.stderr).toContain(says);
    else expect(failed.stderr).toMatch(says);
  });

  it('a failed CREATE INDEX CONCURRENTLY: the INVALID index is named with the DROP INDEX CONCURRENTLY to run before resolve', async () => {
    const db = await freshDatabase();
    await ctx.world.migseal(['apply', await ctx.world.bundle({ '1_users.up.sql': "CREATE TABLE users (id integer PRIMARY KEY, email text);\nINSERT INTO users VALUES (1, 'a@x'), (2, 'a@x');\n" }, { release: '1' }), '--trust', ctx.world.policy, '--db', db.url]);
    const bundle = await ctx.world.bundle(
      {
        '1_users.up.sql': "CREATE TABLE users (id integer PRIMARY KEY, email text);\nINSERT INTO users VALUES (1, 'a@x'), (2, 'a@x');\n",
        '2_users_email.up.sql': 'CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email);\n',
      },
      { release: '2' },
    );
    const failed = await apply(bundle, db.url);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('could not create unique index "users_email". DETAIL: Key (email)=(a@x) is duplicated');
    expect(failed.stderr).toContain('It left an INVALID index behind, which a new attempt would trip over ("already exists"): run DROP INDEX CONCURRENTLY public.users_email; before migseal resolve.');
    expect((await ctx.cluster.psql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email'::regclass", db.name)).trim()).toBe('f');
    // status lists it, with the statement to run, and exits non-zero for a health check.
    const status = await ctx.world.migseal(['status', '--db', db.url, '--json']);
    expect(status.code).toBe(2);
    expect(JSON.parse(status.stdout)).toMatchObject({ ok: false, invalidIndexes: [{ name: 'public.users_email', table: 'public.users', drop: 'DROP INDEX CONCURRENTLY public.users_email;' }] });
    expect((await ctx.world.migseal(['status', '--db', db.url])).stdout).toContain(
      '  PROBLEM     index public.users_email on public.users is INVALID (a failed CREATE INDEX CONCURRENTLY leaves one, and a new attempt fails with "already exists"): run DROP INDEX CONCURRENTLY public.users_email;',
    );
    // The way out the message gives works: drop it, fix the data, resolve, apply again.
    await ctx.cluster.psql("DROP INDEX CONCURRENTLY public.users_email", db.name);
    await ctx.cluster.psql("UPDATE users SET email = 'b@x' WHERE id = 2", db.name);
    expect((await ctx.world.migseal(['resolve', '--db', db.url, '--version', '2', '--as', 'rolled-back', '--reason', 'dropped the invalid index'])).code).toBe(0);
    expect((await apply(bundle, db.url)).code).toBe(0);
    expect((await ctx.cluster.psql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email'::regclass", db.name)).trim()).toBe('t');
    const healthy = await ctx.world.migseal(['status', '--db', db.url, '--json']);
    expect(healthy.code).toBe(0);
    expect(JSON.parse(healthy.stdout)).toMatchObject({ ok: true, invalidIndexes: [], problems: [] });
  });
});
