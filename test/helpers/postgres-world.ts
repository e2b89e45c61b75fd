/**
 * The set-up every PostgreSQL test file shares: a throwaway cluster (started as `nobody`, on
 * loopback and a socket) and a release world (keys, policy, audit log), made before the
 * file's tests and removed after them, however they end.
 */
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type PostgresCluster, type PostgresOptions } from './postgres.js';
import { makeReleaseWorld, type ReleaseWorld } from './release-world.js';

export interface PostgresWorld {
  cluster: PostgresCluster;
  world: ReleaseWorld;
}

/** Registers the hooks; the returned object is filled in before the first test runs. */
export function usePostgresWorld(options: PostgresOptions = {}): PostgresWorld {
  const ctx = {} as PostgresWorld;
  beforeAll(async () => {
    [ctx.cluster, ctx.world] = await Promise.all([startPostgres(options), makeReleaseWorld()]);
  });
  afterAll(async () => {
    await ctx.cluster?.stop();
    ctx.world?.cleanup();
  });
  return ctx;
}
