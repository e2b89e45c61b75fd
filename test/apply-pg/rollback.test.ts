/**
 * Rollback on a real PostgreSQL server: the bundle's verified down scripts run newest first
 * and are recorded; a rollback that needs a missing down script is refused before anything
 * runs (pg_dump identical before and after). apply --to stops at a version, and refuses one
 * older than what is applied, changing nothing.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { counterMigrations } from '../helpers/release-world.js';

const ctx = usePostgresWorld();

const ran = async (db: string) => (await ctx.cluster.psql("SELECT coalesce(string_agg(v::text, ',' ORDER BY v), '') FROM ran", db)).trim();

describe('rollback on PostgreSQL', () => {
  it('runs the verified down scripts newest first, records them, and apply brings them back', async () => {
    const url = await ctx.cluster.createDatabase('back');
    const bundle = await ctx.world.bundle(counterMigrations(4), { release: '1' });
    expect((await ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url])).code).toBe(0);

    // Off a terminal, not without --yes: the plan is printed, and nothing changes.
    const before = await ctx.cluster.dump('back');
    const unconfirmed = await ctx.world.migseal(['rollback', bundle, '--trust', ctx.world.policy, '--db', url, '--to', '2']);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toMatch(/rollback plan for postgres:.*: 2 down scripts, newest first, back to 2\n {2}4 {2}step_4 {2}\(4_step_4\.down\.sql\)\n {6}DROP TABLE t4;[\s\S]*pass --yes to roll back without asking\. Nothing was rolled back\./);
    expect(await ctx.cluster.dump('back')).toBe(before);

    const result = await ctx.world.migseal(['rollback', '--yes', bundle, '--trust', ctx.world.policy, '--db', url, '--to', '2', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).rolledBack.map((r: { version: string }) => r.version)).toEqual(['4', '3']);
    expect(await ran('back')).toBe('1,2');
    expect((await ctx.cluster.psql("SELECT to_regclass('t3') IS NULL AND to_regclass('t4') IS NULL", 'back')).trim()).toBe('t');
    expect((await ctx.cluster.psql("SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM migseal.migseal_migrations", 'back')).trim()).toBe(
      '1:applied,2:applied,3:rolled-back,4:rolled-back',
    );
    expect((await ctx.cluster.psql("SELECT count(*) FROM migseal.migseal_runs WHERE command = 'rollback' AND outcome = 'succeeded'", 'back')).trim()).toBe('1');
    const audit = readFileSync(ctx.world.auditLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit.at(-1)).toMatchObject({ command: 'rollback' });

    expect((await ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url])).code).toBe(0);
    expect(await ran('back')).toBe('1,2,3,4');
  });

  it('T4.8 is refused when a needed down script is missing, changing nothing', async () => {
    const url = await ctx.cluster.createDatabase('nodown');
    const files = counterMigrations(3);
    delete files['2_step_2.down.sql'];
    const bundle = await ctx.world.bundle(files, { release: '1' });
    expect((await ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url])).code).toBe(0);
    const before = await ctx.cluster.dump('nodown');
    const result = await ctx.world.migseal(['rollback', '--yes', bundle, '--trust', ctx.world.policy, '--db', url, '--to', '1', '--json']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, code: 'DOWN_SCRIPT_MISSING' });
    expect(result.stderr).toMatch(/\b2\b/);
    expect(await ctx.cluster.dump('nodown')).toBe(before);
  });
});

describe('apply --to on PostgreSQL', () => {
  it('applies up to the version, records it, refuses going back or an unknown version, and a plain apply finishes', async () => {
    const url = await ctx.cluster.createDatabase('goto');
    const bundle = await ctx.world.bundle(counterMigrations(4), { release: '1' });
    const plan = await ctx.world.migseal(['plan', bundle, '--trust', ctx.world.policy, '--db', url, '--to', '2', '--json']);
    expect(JSON.parse(plan.stdout)).toMatchObject({ ok: true, to: '2', pending: [{ version: '1' }, { version: '2' }], later: [{ version: '3' }, { version: '4' }] });

    const result = await ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url, '--to', '2', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, to: '2', applied: [{ version: '1' }, { version: '2' }], remaining: [{ version: '3' }, { version: '4' }] });
    expect(await ran('goto')).toBe('1,2');
    expect((await ctx.cluster.psql("SELECT reason FROM migseal.migseal_runs WHERE command = 'apply'", 'goto')).trim()).toBe('apply up to 2');
    expect((await ctx.cluster.psql('SELECT count(*) FROM migseal.migseal_release', 'goto')).trim()).toBe('0');
    const audit = readFileSync(ctx.world.auditLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit.at(-1)).toMatchObject({ event: 'apply', outcome: 'applied', to: '2', migrations: ['1', '2'] });

    const before = await ctx.cluster.dump('goto');
    const older = await ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url, '--to', '1', '--json']);
    expect(older.code).toBe(1);
    expect(JSON.parse(older.stdout)).toMatchObject({ ok: false, code: 'USAGE' });
    expect(older.stderr).toMatch(/Migration 2 \(step_2\) is already applied and comes after 1: apply only moves forward\. To go back to 1, run migseal rollback BUNDLE --to 1\./);
    const unknown = await ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url, '--to', '7']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Version 7 is not a migration in this bundle/);
    expect(await ctx.cluster.dump('goto')).toBe(before);

    expect((await ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url])).code).toBe(0);
    expect(await ran('goto')).toBe('1,2,3,4');
    expect((await ctx.cluster.psql('SELECT release FROM migseal.migseal_release', 'goto')).trim()).toBe('1');
  });
});
