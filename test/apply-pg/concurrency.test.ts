import { describe, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { applyConcurrently, CONCURRENT_MIGRATIONS, RUNNERS } from '../runner/concurrency.js';

const ctx = usePostgresWorld();

describe('T4.2 PostgreSQL: concurrent runners', () => {
  it(`${RUNNERS} processes apply one bundle at once; each migration runs exactly once`, async () => {
    const bundle = await ctx.world.bundle(CONCURRENT_MIGRATIONS);
    const url = await ctx.cluster.createDatabase('shared');
    await applyConcurrently(ctx.world, bundle, url, async () => (await ctx.cluster.psql('SELECT v FROM ran', 'shared')).trim().split('\n').map(Number));
  }, 120_000);
});
