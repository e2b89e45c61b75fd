import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { makeReleaseWorld, type ReleaseWorld } from '../helpers/release-world.js';
import { applyConcurrently, CONCURRENT_MIGRATIONS, RUNNERS } from './concurrency.js';

let world: ReleaseWorld;
beforeAll(async () => {
  world = await makeReleaseWorld();
});
afterAll(() => world?.cleanup());

describe('T4.2 SQLite: concurrent runners', () => {
  it(`${RUNNERS} processes apply one bundle at once; each migration runs exactly once`, async () => {
    const bundle = await world.bundle(CONCURRENT_MIGRATIONS);
    const path = join(world.dir, 'shared.db');
    await applyConcurrently(world, bundle, `sqlite:${path}`, async () => {
      const db = new Database(path, { readonly: true });
      try {
        return (db.prepare('SELECT v FROM ran').pluck().all() as number[]).map(Number);
      } finally {
        db.close();
      }
    });
  }, 120_000);
});
