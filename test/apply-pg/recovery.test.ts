/**
 * The failure path on a real PostgreSQL server: resolve only resolves a dirty migration
 * (T4.13), so apply / resolve a clean migration / apply cannot run a data migration twice
 * without --force; a failed run leaves the database's release where it was.
 */
import { describe, expect, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';

const ctx = usePostgresWorld();
let databases = 0;

async function freshDatabase(): Promise<{ name: string; url: string }> {
  const name = `recovery_${++databases}`;
  return { name, url: await ctx.cluster.createDatabase(name) };
}
const apply = (bundle: string, url: string) => ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url, '--json']);
const codeOf = (r: { stdout: string }) => (JSON.parse(r.stdout) as { code?: string }).code;

const CREDITS = {
  '1_accounts.up.sql': 'CREATE TABLE accounts (id integer PRIMARY KEY, balance integer NOT NULL);\nINSERT INTO accounts VALUES (1, 0);\n',
  '2_grant_credit.up.sql': 'UPDATE accounts SET balance = balance + 100 WHERE id = 1;\n',
};

describe('resolve on PostgreSQL', () => {
  it('apply, resolve a clean migration, apply: refused without --force, the credit paid once; with --force, paid again on purpose', async () => {
    const db = await freshDatabase();
    const bundle = await ctx.world.bundle(CREDITS, { release: '1' });
    expect((await apply(bundle, db.url)).code).toBe(0);
    const before = await ctx.cluster.dump(db.name);
    const refused = await ctx.world.migseal(['resolve', '--db', db.url, '--version', '2', '--as', 'rolled-back', '--reason', 'pay again', '--json']);
    expect(refused.code).toBe(2);
    expect(codeOf(refused)).toBe('MIGRATION_NOT_RESOLVABLE');
    expect(refused.stderr).toMatch(/Migration 2 \(grant_credit\) is applied on postgres:.*, not dirty: there is nothing to resolve\. Recording it as rolled-back would mean apply will run migration 2 again/);
    expect(await ctx.cluster.dump(db.name)).toBe(before);
    expect(JSON.parse((await apply(bundle, db.url)).stdout)).toMatchObject({ upToDate: true });
    expect((await ctx.cluster.psql('SELECT balance FROM accounts', db.name)).trim()).toBe('100');

    const forced = await ctx.world.migseal(['resolve', '--db', db.url, '--version', '2', '--as', 'rolled-back', '--reason', 'pay again', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('next: apply will run migration 2 again');
    expect((await ctx.cluster.psql("SELECT reason FROM migseal.migseal_runs WHERE command = 'resolve'", db.name)).trim()).toBe('FORCED 2 applied -> rolled-back: pay again');
    expect((await apply(bundle, db.url)).code).toBe(0);
    expect((await ctx.cluster.psql('SELECT balance FROM accounts', db.name)).trim()).toBe('200');
  });

  it('a failed release: status and history keep release 1 and say release 2: 1 of 2 applied, 1 dirty; a fixed release 3 completes it', async () => {
    const db = await freshDatabase();
    const r1 = await ctx.world.bundle(CREDITS, { release: '1' });
    const failing = {
      ...CREDITS,
      '3_items.up.sql': 'CREATE TABLE items (id integer PRIMARY KEY);\n',
      '4_audit.up.sql': 'BEGIN;\nCREATE TABLE audit_trail (id integer);\nCOMMIT;\nINSERT INTO no_such_table VALUES (1);\n',
    };
    const r2 = await ctx.world.bundle(failing, { release: '2' });
    expect((await apply(r1, db.url)).code).toBe(0);
    const failed = await apply(r2, db.url);
    expect(failed.code).toBe(3);
    expect((await ctx.cluster.psql('SELECT release FROM migseal.migseal_release', db.name)).trim()).toBe('1');
    const status = await ctx.world.migseal(['status', '--db', db.url, '--bundle', r2, '--trust', ctx.world.policy]);
    expect(status.code).toBe(2);
    expect(status.stdout).toMatch(/: project shop, release 1 \(postgres\)\n  partly      release 2: 1 of 2 applied, 1 dirty\n/);
    const history = await ctx.world.migseal(['history', '--db', db.url]);
    expect(history.stdout.split('\n')[0]).toMatch(/release 1 \(sha256:[0-9a-f]{16}…\); release 2: partly applied \(1 applied, 1 dirty\)$/);

    const resolved = await ctx.world.migseal(['resolve', '--db', db.url, '--version', '4', '--as', 'rolled-back', '--reason', 'dropped audit_trail']);
    expect(resolved.code).toBe(0);
    await ctx.cluster.psql('DROP TABLE audit_trail', db.name);
    const older = await apply(r1, db.url);
    expect(older.code).toBe(2);
    expect(codeOf(older)).toBe('RELEASE_ROLLBACK');
    const fixed = await ctx.world.bundle({ ...failing, '4_audit.up.sql': 'CREATE TABLE audit_trail (id integer);\n' }, { release: '3' });
    const done = await apply(fixed, db.url);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout).applied.map((a: { version: string }) => a.version)).toEqual(['4']);
    expect((await ctx.cluster.psql('SELECT release FROM migseal.migseal_release', db.name)).trim()).toBe('3');
  });
});
