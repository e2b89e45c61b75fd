/** kill -9 during a 200-migration apply to SQLite, at >= 20 points: no half-applied migration, and a re-run completes. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeReleaseWorld, type ReleaseWorld } from '../helpers/release-world.js';
import { CHAINS, CRASH_MIGRATIONS, crashChain, distinctPoints, type CrashTarget, type DatabaseState } from './crash-harness.js';

let world: ReleaseWorld;
let bundle: string;

beforeAll(async () => {
  world = await makeReleaseWorld();
  bundle = await world.bundle(CRASH_MIGRATIONS);
});
afterAll(() => world?.cleanup());

function sqliteTarget(path: string): CrashTarget {
  const has = (db: Database.Database, table: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
  const numbers = (db: Database.Database, sql: string) => (db.prepare(sql).pluck().all() as unknown[]).map(Number);
  const count = (db: Database.Database, sql: string) => Number(db.prepare(sql).pluck().get());
  return {
    url: `sqlite:${path}`,
    async applied() {
      if (!existsSync(path)) return 0;
      const db = new Database(path, { readonly: true, timeout: 0 });
      try {
        return has(db, 'migseal_migrations') ? count(db, "SELECT count(*) FROM migseal_migrations WHERE state = 'applied'") : 0;
      } catch {
        return 0; // busy while the runner commits: ask again
      } finally {
        db.close();
      }
    },
    settle: async () => undefined,
    async state(): Promise<DatabaseState> {
      if (!existsSync(path)) return { history: [], tables: [], ran: [], dirty: 0 };
      // Read-write, as the next runner would open it: SQLite rolls back a hot journal the killed writer left.
      const db = new Database(path, { timeout: 10_000 });
      try {
        const history = has(db, 'migseal_migrations');
        return {
          history: history ? numbers(db, "SELECT version FROM migseal_migrations WHERE state = 'applied'") : [],
          tables: numbers(db, "SELECT substr(name, 2) FROM sqlite_master WHERE type = 'table' AND name GLOB 't[0-9]*'"),
          ran: has(db, 'ran') ? numbers(db, 'SELECT v FROM ran') : [],
          dirty: history ? count(db, "SELECT count(*) FROM migseal_migrations WHERE state = 'dirty'") : 0,
        };
      } finally {
        db.close();
      }
    },
  };
}

describe('T4.3 SQLite: kill -9 in the middle of apply', () => {
  it('leaves every transactional migration whole at >= 20 kill points, and a re-run completes', async () => {
    const runs = await Promise.all(
      CHAINS.map((thresholds, i) => {
        const target = sqliteTarget(join(world.dir, `crash-${i}.db`));
        return crashChain(target, thresholds, { args: ['apply', bundle, '--trust', world.policy, '--db', target.url], env: { MIGSEAL_AUDIT_LOG: world.auditLog }, auditLog: world.auditLog });
      }),
    );
    expect(distinctPoints(runs)).toBeGreaterThanOrEqual(20);
  }, 240_000);
});
