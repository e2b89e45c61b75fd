/** apply --dry-run is plan: verified, checked, reported, and nothing written (not even a new database file). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeDir } from '../helpers/fixtures.js';
import { createWorld, dumpSqlite, V1, type RunnerWorld } from '../helpers/runner-world.js';

let world: RunnerWorld;
beforeAll(() => {
  world = createWorld('migseal-dry-run-');
});
afterAll(() => removeDir(world.dir));

it('apply --dry-run prints the plan and changes nothing', async () => {
  const bundle = await world.bundle('dry', V1);
  const db = join(world.dir, 'dry.sqlite');
  const dry = await world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--dry-run']);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toMatch(/^plan for shop release 1 .*\(nothing was changed\)\n  pending   1  create_users\n  pending   2  create_orders\n/);
  expect(dry.stdout).toContain('apply would run 2 migrations');
  expect(existsSync(db)).toBe(false);
  expect((await world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`])).code).toBe(0);
  const before = dumpSqlite(db);
  const json = await world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--dry-run', '--json']);
  expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, pending: [], applied: ['1', '2'] });
  expect(dumpSqlite(db)).toBe(before);
});
