/**
 * The schema fingerprint on a real PostgreSQL server (15, and 18 in the pg18 project): every
 * kind of object, the same hash for the same schema built in another database in another
 * order and read under another search path, migseal's schema, the peer tools' tables and an
 * extension's own objects left out, an INVALID index told apart, and one query per kind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDriver } from '../../src/db/postgres.js';
import { compareFingerprints, readSchemaFingerprint } from '../../src/fingerprint/index.js';
import { startPostgres, type PostgresCluster } from '../helpers/postgres.js';

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

const SCHEMA = `
CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN app.email AS text CHECK (VALUE LIKE '%@%');
CREATE SEQUENCE app.invoice_no START 1000;
CREATE TABLE app.users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email app.email NOT NULL, mood app.mood DEFAULT 'ok', created timestamptz NOT NULL DEFAULT now());
CREATE TABLE app.orders (id serial PRIMARY KEY, user_id bigint NOT NULL REFERENCES app.users (id) ON DELETE CASCADE, total numeric(10,2) CHECK (total >= 0));
CREATE UNIQUE INDEX users_email ON app.users (lower(email));
CREATE VIEW app.big_orders AS SELECT id, total FROM app.orders WHERE total > 100;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.created := now(); RETURN NEW; END $$;
CREATE TRIGGER users_touch BEFORE UPDATE ON app.users FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE EXTENSION IF NOT EXISTS pgcrypto;
`;

async function withDriver<T>(url: string, fn: (driver: PostgresDriver) => Promise<T>): Promise<T> {
  const driver = await PostgresDriver.open(url, url);
  try {
    return await fn(driver);
  } finally {
    await driver.close();
  }
}

describe('schema fingerprint (PostgreSQL)', () => {
  it('describes every kind of object, leaves out what is not the application schema, and is the same for the same schema', async () => {
    const a = await cluster.createDatabase('fp_a');
    await cluster.psql(SCHEMA, 'fp_a');
    // migseal's schema and a peer tool's table are not the application's schema.
    await cluster.psql('CREATE SCHEMA migseal; CREATE TABLE migseal.migseal_runs (x int); CREATE TABLE public.schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL);', 'fp_a');
    const first = await withDriver(a, readSchemaFingerprint);
    const kinds = new Set(first.objects.map((o) => o.kind));
    expect([...kinds].sort()).toEqual(['column', 'constraint', 'extension', 'function', 'index', 'schema', 'sequence', 'table', 'trigger', 'type', 'view']);
    const byName = new Map(first.objects.map((o) => [`${o.kind} ${o.schema}.${o.name}`, o.definition]));
    expect(byName.get('column app.users.email')).toBe('app.email NOT NULL');
    expect(byName.get('column app.users.id')).toBe('bigint NOT NULL GENERATED ALWAYS AS IDENTITY');
    expect(byName.get("column app.users.mood")).toBe("app.mood DEFAULT 'ok'::app.mood");
    expect(byName.get('index app.users_email')).toBe('CREATE UNIQUE INDEX users_email ON app.users USING btree (lower((email)::text))');
    expect(byName.get('type app.mood')).toBe("ENUM ('sad', 'ok', 'happy')");
    expect(byName.get('trigger app.users.users_touch')).toMatch(/^CREATE TRIGGER users_touch BEFORE UPDATE ON app\.users FOR EACH ROW EXECUTE FUNCTION app\.touch\(\)$/);
    expect([...byName.keys()].filter((k) => /migseal|schema_migrations|digest|gen_random|identity/.test(k))).toEqual([]);
    expect(byName.get('extension public.pgcrypto')).toMatch(/^version /);

    // Built in another order, read under another search path: the same bytes.
    const b = await cluster.createDatabase('fp_b');
    const reordered = SCHEMA.split('\n').filter((l) => l !== '');
    await cluster.psql([...reordered.slice(0, 4), reordered[10], ...reordered.slice(4, 10)].join('\n'), 'fp_b');
    const second = await withDriver(b, async (driver) => {
      await driver.exec('SET search_path = app, public');
      const fp = await readSchemaFingerprint(driver);
      // The session's search path is put back.
      expect((await driver.query('SHOW search_path'))[0]).toEqual({ search_path: 'app, public' });
      return fp;
    });
    expect(compareFingerprints(first, second)).toEqual({ added: [], removed: [], changed: [] });
    expect(second.sha256).toBe(first.sha256);
  });

  it('names an out-of-band change and tells an INVALID index from a valid one', async () => {
    const url = await cluster.createDatabase('fp_c');
    await cluster.psql(SCHEMA, 'fp_c');
    const before = await withDriver(url, readSchemaFingerprint);
    await cluster.psql(
      `ALTER TABLE app.orders ADD COLUMN note text DEFAULT 'x';
       ALTER TABLE app.users ALTER COLUMN created DROP DEFAULT;
       DROP VIEW app.big_orders;
       CREATE INDEX orders_total ON app.orders (total);
       UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'app.orders_total'::regclass;`,
      'fp_c',
    );
    const after = await withDriver(url, readSchemaFingerprint);
    const diff = compareFingerprints(before, after);
    expect(diff.added.map((o) => `${o.kind} ${o.name} ${o.definition}`)).toEqual([
      "column orders.note text DEFAULT 'x'::text",
      'index orders_total CREATE INDEX orders_total ON app.orders USING btree (total) INVALID',
    ]);
    expect(diff.removed.map((o) => `${o.kind} ${o.name}`)).toEqual(['view big_orders']);
    expect(diff.changed).toEqual([{ kind: 'column', schema: 'app', name: 'users.created', before: 'timestamp with time zone NOT NULL DEFAULT now()', after: 'timestamp with time zone NOT NULL' }]);
  });

  it("on a tenant's connection (?schema=) describes that schema alone, so another tenant's migrations are no drift", async () => {
    const url = await cluster.createDatabase('fp_tenants');
    await cluster.psql('CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b; CREATE TABLE tenant_a.users (id int); CREATE TABLE tenant_b.users (id int); CREATE TABLE public.shared (id int);', 'fp_tenants');
    const read = async () => {
      const driver = await PostgresDriver.open(url, url, {}, 'tenant_a');
      try {
        return await readSchemaFingerprint(driver);
      } finally {
        await driver.close();
      }
    };
    const before = await read();
    expect(before.objects.map((o) => `${o.kind} ${o.schema}.${o.name}`)).toEqual(['column tenant_a.users.id', 'schema tenant_a.tenant_a', 'table tenant_a.users']);
    await cluster.psql('ALTER TABLE tenant_b.users ADD COLUMN email text; CREATE TABLE public.more (id int);', 'fp_tenants');
    expect((await read()).sha256).toBe(before.sha256);
  });

  it("on a tenant's connection describes every kind of object in that schema exactly as the whole database's fingerprint does, whatever else the server holds", async () => {
    const url = await cluster.createDatabase('fp_tenant_kinds');
    const tenant = (t: string): string =>
      SCHEMA.replace('CREATE SCHEMA app;', `CREATE SCHEMA ${t};`)
        .replace('CREATE EXTENSION IF NOT EXISTS pgcrypto;', '')
        .replaceAll('app.', `${t}.`) +
      `
      CREATE TYPE ${t}.pair AS (a int, b text);
      CREATE TYPE ${t}.span AS RANGE (subtype = int4);
      CREATE MATERIALIZED VIEW ${t}.order_totals AS SELECT user_id, sum(total) AS total FROM ${t}.orders GROUP BY user_id;
      CREATE TABLE ${t}.events (id int, at date NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE ${t}.events_2026 PARTITION OF ${t}.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      CREATE UNLOGGED TABLE ${t}.cache (k text PRIMARY KEY, v text);
      ALTER TABLE ${t}.cache ENABLE ROW LEVEL SECURITY;
      CREATE POLICY own ON ${t}.cache USING (k = current_user);
      CREATE TABLE ${t}.archived_orders () INHERITS (${t}.orders);
      CREATE FOREIGN TABLE ${t}.remote (id int) SERVER nowhere;
      CREATE AGGREGATE ${t}.total_of(int) (sfunc = int4pl, stype = int, initcond = '0');
      ALTER TABLE ${t}.users DISABLE TRIGGER users_touch;
      CREATE TABLE ${t}.migseal_runs (x int);
      CREATE TABLE ${t}.schema_migrations (version bigint PRIMARY KEY);
      `;
    // Objects that came into the tenant's schema from another, and one that left it.
    const moves = `
      CREATE TABLE elsewhere.moved_in (id bigint PRIMARY KEY REFERENCES tenant_a.users (id)); ALTER TABLE elsewhere.moved_in SET SCHEMA tenant_a;
      CREATE SEQUENCE elsewhere.moved_seq; ALTER SEQUENCE elsewhere.moved_seq SET SCHEMA tenant_a;
      CREATE TYPE elsewhere.moved_enum AS ENUM ('x'); ALTER TYPE elsewhere.moved_enum SET SCHEMA tenant_a;
      CREATE FUNCTION elsewhere.moved_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'; ALTER FUNCTION elsewhere.moved_fn() SET SCHEMA tenant_a;
      CREATE VIEW elsewhere.moved_view AS SELECT 1 AS one; ALTER VIEW elsewhere.moved_view SET SCHEMA tenant_a;
      CREATE TABLE tenant_a.moved_out (id int); ALTER TABLE tenant_a.moved_out SET SCHEMA elsewhere;`;
    await cluster.psql(
      `CREATE FOREIGN DATA WRAPPER nothing; CREATE SERVER nowhere FOREIGN DATA WRAPPER nothing; CREATE SCHEMA elsewhere; CREATE TABLE public.shared (id int);
       ${tenant('tenant_a')} ${tenant('tenant_b')} ${moves}
       CREATE EXTENSION pgcrypto SCHEMA tenant_a;`,
      'fp_tenant_kinds',
    );
    const whole = await withDriver(url, readSchemaFingerprint);
    const ofTenant = await (async () => {
      const driver = await PostgresDriver.open(url, url, {}, 'tenant_a');
      try {
        return await readSchemaFingerprint(driver);
      } finally {
        await driver.close();
      }
    })();
    const expected = whole.objects.filter((o) => o.schema === 'tenant_a');
    expect(ofTenant.objects).toEqual(expected);
    const names = new Set(expected.map((o) => `${o.kind} ${o.name}`));
    for (const kept of ['extension pgcrypto', 'type pair', 'type span', 'type moved_enum', 'view order_totals', 'table events_2026', 'table remote', 'table moved_in', 'sequence moved_seq', 'function total_of(integer)', 'function moved_fn()', 'view moved_view', 'trigger users.users_touch']) {
      expect(names).toContain(kept);
    }
    expect([...names].filter((n) => /moved_out|migseal|schema_migrations|digest/.test(n))).toEqual([]);
    expect(expected.find((o) => o.name === 'cache')?.definition).toBe("TABLE UNLOGGED ROW LEVEL SECURITY POLICIES (own * USING ((k = CURRENT_USER)))");
  });

  it('reads 200 tables with one query per kind of object', async () => {
    const url = await cluster.createDatabase('fp_many');
    const tables = Array.from({ length: 200 }, (_, i) => `CREATE TABLE t${i} (id serial PRIMARY KEY, v text NOT NULL DEFAULT '', n int CHECK (n > 0)); CREATE INDEX t${i}_v ON t${i} (v);`);
    await cluster.psql(tables.join('\n'), 'fp_many');
    await withDriver(url, async (driver) => {
      let queries = 0;
      const query = driver.query.bind(driver);
      driver.query = (sql, params, options) => {
        queries++;
        return query(sql, params, options);
      };
      const fp = await readSchemaFingerprint(driver);
      expect(fp.objects.filter((o) => o.kind === 'table')).toHaveLength(200);
      // A table, three columns, two constraints, two indexes and the serial's sequence each.
      expect(fp.objects).toHaveLength(200 * 9);
      // 11 kinds, and the search path read, set and put back.
      expect(queries).toBe(14);
    });
  });
});
