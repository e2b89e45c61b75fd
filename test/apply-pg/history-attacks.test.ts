/**
 * T5.9, T5.11, T5.17, T5.18 on a real PostgreSQL server, through the CLI with real keys:
 * signed migrations that rewrite, relocate or shadow migseal's history; a history an older
 * migseal left in the session's schema; an audit log that cannot take the run's first
 * record; and an audit log rewritten with its chain recomputed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir } from '../helpers/fixtures.js';
import { createWorld, type RunnerWorld } from '../helpers/runner-world.js';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { counterMigrations } from '../helpers/release-world.js';
import { rechain } from '../helpers/rechain.js';

const ctx = usePostgresWorld();
// The insider: a release key and an approver, so that findings about migseal's tables are approved and the bundle verifies.
let insider: RunnerWorld;
beforeAll(() => {
  insider = createWorld('migseal-pg-insider-');
});
afterAll(() => removeDir(insider.dir));
let bundles = 0;
const approved = (files: Record<string, string>) => insider.bundle(`insider-${++bundles}`, files, { dialect: 'postgres' });
const applyApproved = (bundle: string, url: string) => insider.cli(['apply', bundle, '--trust', insider.policy, '--db', url, '--json']);
let databases = 0;
const codeOf = (stdout: string) => (JSON.parse(stdout) as { code?: string }).code;

async function fresh(prefix: string): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${++databases}`;
  return { name, url: await ctx.cluster.createDatabase(name) };
}
const apply = (bundle: string, url: string, env: Record<string, string> = {}) => ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url, '--json'], env);
const q = async (sql: string, db: string) => (await ctx.cluster.psql(sql, db)).trim();

async function expectTampered(name: string, url: string, bundle: string, named: RegExp): Promise<void> {
  const before = await ctx.cluster.dump(name);
  for (const args of [
    ['apply', bundle, '--trust', insider.policy, '--db', url],
    ['plan', bundle, '--trust', insider.policy, '--db', url],
    ['status', '--db', url],
    ['history', '--db', url],
    ['resolve', '--db', url, '--version', '1', '--as', 'applied', '--reason', 'x'],
  ]) {
    const result = await insider.cli([...args, '--json']);
    expect(result.code, args[0]).toBe(2);
    expect(codeOf(result.stdout), args[0]).toBe('HISTORY_TAMPERED');
    expect(result.stderr, args[0]).toMatch(named);
  }
  expect(await ctx.cluster.dump(name)).toBe(before);
}

describe('T5.11 a signed migration that rewrites migseal history (PostgreSQL)', () => {
  it('marks an applied migration rolled back, so that it would run again', async () => {
    const { name, url } = await fresh('forget');
    const bundle = await approved({ ...counterMigrations(2), '3_forget.up.sql': "UPDATE migseal.migseal_migrations SET state = 'rolled-back' WHERE version = '1';\n" });
    expect((await applyApproved(bundle, url)).code).toBe(0);
    await expectTampered(name, url, bundle, /migseal_migrations row "1" does not match history entry \d+ \(state: "applied" → "rolled-back"\)/);
  });

  it('deletes the history row of an applied migration', async () => {
    const { name, url } = await fresh('delete');
    const bundle = await approved({ ...counterMigrations(2), '3_forget.up.sql': "DELETE FROM migseal.migseal_migrations WHERE version = '2';\n" });
    expect((await applyApproved(bundle, url)).code).toBe(0);
    await expectTampered(name, url, bundle, /migseal_migrations row "2" is missing \(history entry \d+ recorded this migration\)/);
  });

  it('deletes the newest chain entries together with the rows they wrote: caught against the audit log', async () => {
    const { name, url } = await fresh('truncate');
    const bundle = await ctx.world.bundle(counterMigrations(2));
    expect((await apply(bundle, url)).code).toBe(0);
    // The whole run erased: its rows and its entries. The chain that is left holds.
    await ctx.cluster.psql(
      "DELETE FROM migseal.migseal_chain WHERE run_id <> ''; DELETE FROM migseal.migseal_fingerprints; DELETE FROM migseal.migseal_migrations; DELETE FROM migseal.migseal_runs; DELETE FROM migseal.migseal_release;",
      name,
    );
    const log = await ctx.world.migseal(['audit-log', 'verify', ctx.world.auditLog, '--db', url, '--json']);
    expect(log.code).toBe(2);
    expect(codeOf(log.stdout)).toBe('AUDIT_CHAIN_BROKEN');
    expect(log.stderr).toMatch(/started record\(s\) name runs postgres:.* never recorded/);
  });
});

describe('T5.9 a signed migration that moves or shadows migseal history (PostgreSQL)', () => {
  it('a new schema first on the search path (set by the migration, then as the role default) and a temp table of the same name', async () => {
    const { name, url } = await fresh('shadow');
    const files = {
      ...counterMigrations(2),
      '3_shadow.up.sql': [
        'CREATE SCHEMA evil;',
        'CREATE TABLE evil.migseal_migrations (migration_key text PRIMARY KEY);',
        'CREATE TABLE evil.migseal_release (id int);',
        "SELECT pg_catalog.set_config('search_path', 'evil, public', false);",
        'CREATE TEMP TABLE migseal_migrations (migration_key text PRIMARY KEY);',
        '',
      ].join('\n'),
      '4_after.up.sql': 'CREATE TABLE public.after_shadow (id int);\n',
    };
    const bundle = await approved(files);
    const first = await applyApproved(bundle, url);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(await q("SELECT string_agg(version, ',' ORDER BY version) FROM migseal.migseal_migrations", name)).toBe('1,2,3,4');
    expect(await q('SELECT count(*) FROM evil.migseal_migrations', name)).toBe('0');
    // The deploy role's default now points at the new schema first (a change a migration with approval, or anyone with ALTER ROLE, can make).
    await ctx.cluster.psql(`ALTER ROLE CURRENT_USER IN DATABASE ${name} SET search_path = evil, public`, name);
    // A new session now starts with search_path = evil, public: the history is still found, and nothing runs twice.
    expect(await q('SHOW search_path', name)).toBe('evil, public');
    const again = await applyApproved(bundle, url);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ upToDate: true, applied: [] });
    const status = await insider.cli(['status', '--db', url]);
    expect(status.stdout).toMatch(/chain {7}intact/);
  });

  it('history an older migseal kept in the public schema is moved into migseal and chained from then', async () => {
    const { name, url } = await fresh('older');
    expect((await apply(await ctx.world.bundle(counterMigrations(2)), url)).code).toBe(0);
    // What an older migseal left: its tables in the session's schema, no chain, no audit column.
    await ctx.cluster.psql(
      'DROP TABLE migseal.migseal_chain; DROP TABLE migseal.migseal_fingerprints; DROP TABLE migseal.migseal_backups; ALTER TABLE migseal.migseal_runs DROP COLUMN audit_hash; ' +
        'ALTER TABLE migseal.migseal_migrations SET SCHEMA public; ALTER TABLE migseal.migseal_runs SET SCHEMA public; ALTER TABLE migseal.migseal_release SET SCHEMA public; DROP SCHEMA migseal;',
      name,
    );
    const before = await ctx.world.migseal(['status', '--db', url]);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/project shop, release 1/);
    expect(before.stdout).toMatch(/chain {7}not chained yet/);
    const next = await apply(await ctx.world.bundle(counterMigrations(3), { release: '2' }), url);
    expect(next.code).toBe(0);
    expect(JSON.parse(next.stdout).applied.map((a: { version: string }) => a.version)).toEqual(['3']);
    expect(await q("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE tablename LIKE 'migseal%'", name)).toBe('migseal_backups,migseal_chain,migseal_fingerprints,migseal_migrations,migseal_release,migseal_runs');
    expect(await q("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'migseal%'", name)).toBe('0');
    const history = await ctx.world.migseal(['history', '--db', url]);
    expect(history.stdout).toMatch(/chain: intact: \d+ entries, from .*, when it began over the history an older migseal had written/);
  });
});

describe('T5.17 an audit log that cannot take the started record (PostgreSQL)', () => {
  it('runs nothing: exit 1, the database as it was', async () => {
    const { name, url } = await fresh('nolog');
    const log = join(ctx.world.dir, 'locked-out.jsonl');
    mkdirSync(`${log}.lock`);
    const before = await ctx.cluster.dump(name);
    const result = await apply(await ctx.world.bundle(counterMigrations(2)), url, { MIGSEAL_AUDIT_LOG: log });
    expect(result.code).toBe(1);
    expect(codeOf(result.stdout)).toBe('IO');
    expect(result.stderr).toMatch(/Cannot record the start of the apply in the audit log .*, so nothing was run\./);
    expect(await ctx.cluster.dump(name)).toBe(before);
  });
});

describe('T5.18 audit-log verify --db on PostgreSQL', () => {
  it('catches a started record deleted with the chain recomputed', async () => {
    const { url } = await fresh('anchor');
    const log = join(ctx.world.dir, 'anchor.jsonl');
    expect((await apply(await ctx.world.bundle(counterMigrations(2)), url, { MIGSEAL_AUDIT_LOG: log })).code).toBe(0);
    expect((await ctx.world.migseal(['audit-log', 'verify', log, '--db', url])).code).toBe(0);
    rechain(log, (records) => records.filter((r) => r.outcome !== 'started'));
    expect((await ctx.world.migseal(['audit-log', 'verify', log])).code).toBe(0);
    const result = await ctx.world.migseal(['audit-log', 'verify', log, '--db', url, '--json']);
    expect(result.code).toBe(2);
    expect(codeOf(result.stdout)).toBe('AUDIT_CHAIN_BROKEN');
    expect(result.stderr).toMatch(/1 run\(s\) postgres:.* recorded have no started record in the log/);
  });
});
