import { afterAll, beforeAll, describe, it } from 'vitest';
import { startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import { makeReleaseWorld, type ReleaseWorld } from '../helpers/release-world.js';
import { applyConcurrently, CONCURRENT_MIGRATIONS, RUNNERS } from '../runner/concurrency.js';

let cluster: PostgresCluster;
let world: ReleaseWorld;
beforeAll(async () => {
  [cluster, world] = await Promise.all([startPostgres(), makeReleaseWorld()]);
});
afterAll(async () => {
  await cluster?.stop();
  world?.cleanup();
});

describe('PostgreSQL: concurrent runners', () => {
  it(`${RUNNERS} processes apply one bundle at once; each migration runs exactly once`, async () => {
    const bundle = await world.bundle(CONCURRENT_MIGRATIONS);
    const url = await cluster.createDatabase('shared');
    await applyConcurrently(world, bundle, url, async () => (await cluster.psql('SELECT v FROM ran', 'shared')).trim().split('\n').map(Number));
  }, 120_000);
});
