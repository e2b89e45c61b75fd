/** kill -9 during a 200-migration apply to PostgreSQL, at >= 20 points: no half-applied migration, and a re-run completes. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { CHAINS, CRASH_MIGRATIONS, crashChain, distinctPoints, type CrashTarget, type DatabaseState } from '../runner/crash-harness.js';

const ctx = usePostgresWorld();
let bundle: string;
const clients: pg.Client[] = [];

beforeAll(async () => {
  bundle = await ctx.world.bundle(CRASH_MIGRATIONS);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
});

async function postgresTarget(name: string): Promise<CrashTarget> {
  const url = await ctx.cluster.createDatabase(name);
  const client = new pg.Client({ host: ctx.cluster.host, port: ctx.cluster.port, user: ctx.cluster.user, database: name });
  await client.connect();
  clients.push(client);
  const numbers = async (sql: string) => (await client.query(sql)).rows.map((r: { n: unknown }) => Number(r.n));
  const hasHistory = async () => (await client.query("SELECT to_regclass('migseal.migseal_migrations') IS NOT NULL AS present")).rows[0].present === true;
  return {
    url,
    async applied() {
      return (await hasHistory()) ? (await numbers("SELECT count(*) AS n FROM migseal.migseal_migrations WHERE state = 'applied'"))[0]! : 0;
    },
    async settle() {
      // The server ends a killed client's session (rolling back its transaction) once it sees the socket close.
      for (let i = 0; i < 800; i++) {
        const rows = await numbers("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'migseal%'");
        if (rows[0] === 0) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('a killed runner is still connected after 20 s');
    },
    async state(): Promise<DatabaseState> {
      const history = await hasHistory();
      const ran = (await client.query("SELECT to_regclass('ran') IS NOT NULL AS present")).rows[0].present === true;
      return {
        history: history ? await numbers("SELECT version AS n FROM migseal.migseal_migrations WHERE state = 'applied'") : [],
        tables: await numbers("SELECT substr(table_name, 2) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name ~ '^t[0-9]+$'"),
        ran: ran ? await numbers('SELECT v AS n FROM ran') : [],
        dirty: history ? (await numbers("SELECT count(*) AS n FROM migseal.migseal_migrations WHERE state = 'dirty'"))[0]! : 0,
      };
    },
  };
}

describe('T4.3 PostgreSQL: kill -9 in the middle of apply', () => {
  it('leaves every transactional migration whole at >= 20 kill points, and a re-run completes', async () => {
    const runs = await Promise.all(
      CHAINS.map(async (thresholds, i) => {
        const target = await postgresTarget(`crash_${i}`);
        return crashChain(target, thresholds, { args: ['apply', bundle, '--trust', ctx.world.policy, '--db', target.url], env: { MIGSEAL_AUDIT_LOG: ctx.world.auditLog }, auditLog: ctx.world.auditLog });
      }),
    );
    expect(distinctPoints(runs)).toBeGreaterThanOrEqual(20);
  }, 240_000);
});
