/**
 * apply --to VERSION (golang-migrate's goto, Flyway's -target) through the CLI on SQLite: it
 * applies up to and including the version, leaves the release incomplete, records the target in
 * the history and the audit log, and refuses, changing nothing, a version the bundle lacks or
 * one older than what is applied (that is rollback's job). plan --to shows the same split.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir } from '../helpers/fixtures.js';
import { codeOf, createWorld, dumpSqlite, rows, V2, type RunnerWorld } from '../helpers/runner-world.js';

let world: RunnerWorld;
let bundle: string;
let db: string;
const run = (command: string, ...extra: string[]) => world.cli([command, bundle, '--trust', world.policy, '--db', `sqlite:${db}`, ...extra]);
const versions = (list: Array<{ version: string }>) => list.map((m) => m.version);

beforeAll(async () => {
  world = createWorld('migseal-apply-to-');
  bundle = await world.bundle('v2', V2);
  db = join(world.dir, 'shop.sqlite');
});
afterAll(() => removeDir(world.dir));

describe('apply --to on SQLite', () => {
  it('plan --to shows what apply --to runs and what stays pending, changing nothing', async () => {
    const result = await run('plan', '--to', '2', '--json');
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan).toMatchObject({ ok: true, to: '2' });
    expect(versions(plan.pending)).toEqual(['1', '2']);
    expect(versions(plan.later)).toEqual(['3']);
    const text = await run('plan', '--to', '2');
    expect(text.stdout).toMatch(/pending {3}2 {2}create_orders\n {2}later {5}3 {2}index_orders {2}\(after --to; stays pending\)\n[\s\S]*apply --to would run 2 migrations, leaving 1 pending/);
    expect(dumpSqlite(db)).toBe('');
  });

  it('applies up to and including the version, records it, and leaves the release incomplete', async () => {
    const result = await run('apply', '--to', '2');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/applied 2 migrations to sqlite:.* up to 2\n {2}1 {2}create_users .*\n {2}2 {2}create_orders .*\n1 left pending after 2 \(release 1 is complete once they run\): 3/);
    expect(rows(db, 'SELECT version, state FROM migseal_migrations ORDER BY version')).toEqual([
      { version: '1', state: 'applied' },
      { version: '2', state: 'applied' },
    ]);
    expect(rows(db, "SELECT reason FROM migseal_runs WHERE command = 'apply'")).toEqual([{ reason: 'apply up to 2' }]);
    // The release is the database's only once all its migrations are applied.
    expect(rows(db, 'SELECT release FROM migseal_release')).toEqual([]);
    const status = await world.cli(['status', '--db', `sqlite:${db}`, '--bundle', bundle]);
    expect(status.stdout).toMatch(/release 1: 2 of 3 applied/);
    const audit = readFileSync(join(world.dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit.at(-1)).toMatchObject({ event: 'apply', outcome: 'applied', to: '2', migrations: ['1', '2'] });

    const again = await run('apply', '--to', '2', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, to: '2', applied: [], remaining: [{ version: '3', name: 'index_orders' }] });
  });

  it('refuses a version the bundle does not have, and one older than what is applied, changing nothing', async () => {
    const before = dumpSqlite(db);
    const missing = await run('apply', '--to', '9', '--json');
    expect(missing.code).toBe(1);
    expect(codeOf(missing)).toBe('USAGE');
    expect(missing.stderr).toMatch(/Version 9 is not a migration in this bundle; --to takes one of its versions \(1, 2, 3\)\./);
    const older = await run('apply', '--to', '1', '--json');
    expect(older.code).toBe(1);
    expect(codeOf(older)).toBe('USAGE');
    expect(older.stderr).toMatch(/Migration 2 \(create_orders\) is already applied and comes after 1: apply only moves forward\. To go back to 1, run migseal rollback BUNDLE --to 1\./);
    const plan = await run('plan', '--to', '1');
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(/apply only moves forward/);
    expect(dumpSqlite(db)).toBe(before);
    const audit = readFileSync(join(world.dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit.filter((r) => r.event === 'apply' && r.to === '9')).toHaveLength(1);
  });

  it('a plain apply then finishes the release', async () => {
    const result = await run('apply', '--json');
    expect(result.code).toBe(0);
    expect(versions(JSON.parse(result.stdout).applied)).toEqual(['3']);
    expect(rows(db, 'SELECT release FROM migseal_release')).toEqual([{ release: '1' }]);
  });
});
