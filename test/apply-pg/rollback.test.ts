/**
 * Rollback on a real PostgreSQL server: the bundle's verified down scripts run newest first
 * and are recorded; a rollback that needs a missing down script is refused before anything
 * runs (pg_dump identical before and after).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import { counterMigrations, makeReleaseWorld, type ReleaseWorld } from '../helpers/release-world.js';

let cluster: PostgresCluster;
let world: ReleaseWorld;
beforeAll(async () => {
  [cluster, world] = await Promise.all([startPostgres(), makeReleaseWorld()]);
});
afterAll(async () => {
  await cluster?.stop();
  world?.cleanup();
});

const ran = async (db: string) => (await cluster.psql("SELECT coalesce(string_agg(v::text, ',' ORDER BY v), '') FROM ran", db)).trim();

describe('rollback on PostgreSQL', () => {
  it('runs the verified down scripts newest first, records them, and apply brings them back', async () => {
    const url = await cluster.createDatabase('back');
    const bundle = await world.bundle(counterMigrations(4), { release: '1' });
    expect((await world.migseal(['apply', bundle, '--trust', world.policy, '--db', url])).code).toBe(0);

    const result = await world.migseal(['rollback', bundle, '--trust', world.policy, '--db', url, '--to', '2', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).rolledBack.map((r: { version: string }) => r.version)).toEqual(['4', '3']);
    expect(await ran('back')).toBe('1,2');
    expect((await cluster.psql("SELECT to_regclass('t3') IS NULL AND to_regclass('t4') IS NULL", 'back')).trim()).toBe('t');
    expect((await cluster.psql("SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM migseal_migrations", 'back')).trim()).toBe(
      '1:applied,2:applied,3:rolled-back,4:rolled-back',
    );
    expect((await cluster.psql("SELECT count(*) FROM migseal_runs WHERE command = 'rollback' AND outcome = 'succeeded'", 'back')).trim()).toBe('1');
    const audit = readFileSync(world.auditLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit.at(-1)).toMatchObject({ command: 'rollback' });

    expect((await world.migseal(['apply', bundle, '--trust', world.policy, '--db', url])).code).toBe(0);
    expect(await ran('back')).toBe('1,2,3,4');
  });

  it('is refused when a needed down script is missing, changing nothing', async () => {
    const url = await cluster.createDatabase('nodown');
    const files = counterMigrations(3);
    delete files['2_step_2.down.sql'];
    const bundle = await world.bundle(files, { release: '1' });
    expect((await world.migseal(['apply', bundle, '--trust', world.policy, '--db', url])).code).toBe(0);
    const before = await cluster.dump('nodown');
    const result = await world.migseal(['rollback', bundle, '--trust', world.policy, '--db', url, '--to', '1', '--json']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, code: 'DOWN_SCRIPT_MISSING' });
    expect(result.stderr).toMatch(/\b2\b/);
    expect(await cluster.dump('nodown')).toBe(before);
  });
});
