/**
 * migseal audit against a real PostgreSQL server: the history a PostgreSQL host recorded is
 * read (read-only: a pg_dump before and after is the same), and each migration is compared
 * with the bundle: match, drift, pending.
 */
import { describe, expect, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';

const ctx = usePostgresWorld();


const RELEASE_1 = {
  '1_create_users.up.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);\n',
  '2_create_orders.up.sql': 'CREATE TABLE orders (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users (id));\n',
};

describe('migseal audit on PostgreSQL', () => {
  it('reads the history read-only and names match, drift and pending per migration', async () => {
    const url = await ctx.cluster.createDatabase('audit_pg');
    const first = await ctx.world.bundle(RELEASE_1, { dialect: 'postgres' });
    const applied = await ctx.world.migseal(['apply', first, '--trust', ctx.world.policy, '--db', url]);
    expect(applied.code, applied.stderr).toBe(0);
    // Release 2 rewrote migration 2 and adds migration 3.
    const second = await ctx.world.bundle(
      { ...RELEASE_1, '2_create_orders.up.sql': 'CREATE TABLE orders (id bigserial PRIMARY KEY);\n', '3_more.up.sql': 'CREATE TABLE more (id int);\n' },
      { dialect: 'postgres', release: '2' },
    );
    const before = await ctx.cluster.dump('audit_pg');
    const result = await ctx.world.migseal(['audit', second, '--trust', ctx.world.policy, '--db', url, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const facts = JSON.parse(result.stdout);
    expect(facts.verification).toMatchObject({ outcome: 'verified' });
    expect(facts.database.url).toBe(url);
    expect(facts.database.entries.map((e: { version: string; comparison: string }) => [e.version, e.comparison])).toEqual([
      ['1', 'match'],
      ['2', 'drift'],
      ['3', 'pending'],
    ]);
    expect(facts.database.entries[0].applied).toMatchObject({ state: 'applied', release: '1', command: 'apply' });
    expect(facts.database.marker).toMatchObject({ project: 'shop', release: '1' });
    expect(facts.database.dialect).toBe('postgres');
    expect(await ctx.cluster.dump('audit_pg')).toBe(before);

    const text = await ctx.world.migseal(['audit', second, '--trust', ctx.world.policy, '--db', url]);
    expect(text.stdout).toContain(`database     ${url}: 1 match, 1 pending, 1 drift, 0 dirty, 0 not in bundle`);
  });

  it('a database that migseal never touched has only pending migrations, and no tables are created', async () => {
    const url = await ctx.cluster.createDatabase('audit_pg_empty');
    const bundle = await ctx.world.bundle(RELEASE_1, { dialect: 'postgres' });
    const result = await ctx.world.migseal(['audit', bundle, '--trust', ctx.world.policy, '--db', url, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).database.counts).toMatchObject({ match: 0, pending: 2, drift: 0 });
    expect(await ctx.cluster.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", 'audit_pg_empty')).toBe('0\n');
  });
});
