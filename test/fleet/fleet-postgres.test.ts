/**
 * apply --targets on one real PostgreSQL server holding many databases and many tenant
 * schemas (?schema=): each tenant's history and lock are its own; the canary, the wave stop
 * rule and the re-run, two shards at once, a dirty target, a per-target password file, tenants
 * sharing a session with nothing left in it from one to the next, and a tampered bundle refused
 * before any database is touched.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writePolicy } from '../helpers/fixtures.js';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { codeOf } from '../helpers/refusal.js';
import type { CliResult } from '../helpers/cli.js';

const ctx = usePostgresWorld({ passwordRole: { user: 'deploy', password: 'tenant-secret' } });

const FILES = {
  '1_create_users.up.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);\n',
  '2_create_orders.up.sql': 'CREATE TABLE orders (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users(id));\n',
  '3_index_orders.up.sql': 'CREATE INDEX CONCURRENTLY orders_user ON orders (user_id);\n',
};
let bundle: string;
let fleetNo = 0;

beforeAll(async () => {
  bundle = await ctx.world.bundle(FILES, { dialect: 'postgres' });
});

interface Fleet {
  file: string;
  names: string[];
  /** The tenants database holding the schemas, and the databases of their own. */
  database: string;
  databases: string[];
}

/** `schemas` tenant schemas in one database, and `databases` databases of their own, in one targets file (schemas first). */
async function fleet(schemas: number, databases: number): Promise<Fleet> {
  const n = fleetNo++;
  const database = `tenants_${n}`;
  const url = await ctx.cluster.createDatabase(database);
  const own = await Promise.all(Array.from({ length: databases }, (_, i) => ctx.cluster.createDatabase(`own_${n}_${i}`)));
  const targets = [
    ...Array.from({ length: schemas }, (_, i) => ({ name: `schema-${i}`, db: `${url}?schema=tenant_${i}` })),
    ...own.map((db, i) => ({ name: `db-${i}`, db })),
  ];
  const file = join(ctx.world.dir, `fleet-${n}.json`);
  writeFileSync(file, JSON.stringify(targets));
  return { file, names: targets.map((t) => t.name), database, databases: own.map((_, i) => `own_${n}_${i}`) };
}

const applyFleet = (f: Fleet, ...extra: string[]) => ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--targets', f.file, '--json', ...extra]);
const report = (r: CliResult) => JSON.parse(r.stdout) as { ok: boolean; message?: string; summary: Record<string, number>; targets: Array<{ name: string; outcome: string; applied: string[]; error: { code: string; message: string } | null }> };
const outcomes = (r: CliResult) => Object.fromEntries(report(r).targets.map((t) => [t.name, t.outcome]));
const psql = (sql: string, database: string) => ctx.cluster.psql(sql, database).then((out) => out.trim());
const dumps = (f: Fleet) => Promise.all([f.database, ...f.databases].map((d) => ctx.cluster.dump(d)));

describe('apply --targets on PostgreSQL: databases and tenant schemas', () => {
  it('applies to every schema and database, each tenant with its own history, then finds them all up to date', async () => {
    const f = await fleet(4, 2);
    const plan = await ctx.world.migseal(['plan', bundle, '--trust', ctx.world.policy, '--targets', f.file, '--json']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).summary).toMatchObject({ targets: 6, wouldApply: 6 });
    // plan creates nothing: no tenant schema yet.
    expect(await psql("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tenant%'", f.database)).toBe('0');
    const r = await applyFleet(f, '--wave', '3', '--parallel', '3');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(report(r).summary).toMatchObject({ targets: 6, applied: 6 });
    // Each tenant's tables and history are in its schema; nothing in the database-wide migseal schema.
    expect(await psql("SELECT table_schema, count(*) FROM information_schema.tables WHERE table_name IN ('users', 'orders', 'migseal_migrations') GROUP BY 1 ORDER BY 1", f.database)).toBe(
      'tenant_0|3\ntenant_1|3\ntenant_2|3\ntenant_3|3',
    );
    expect(await psql("SELECT pg_catalog.to_regnamespace('migseal') IS NULL", f.database)).toBe('t');
    expect(await psql('SELECT version FROM tenant_2.migseal_migrations ORDER BY version', f.database)).toBe('1\n2\n3');
    expect(await psql('SELECT count(*) FROM migseal.migseal_runs', f.databases[1]!)).toBe('1');
    // A single apply on one tenant's URL reads that tenant's history.
    const one = await ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', `${ctx.cluster.urlFor(f.database)}?schema=tenant_1`, '--json']);
    expect(JSON.parse(one.stdout)).toMatchObject({ ok: true, upToDate: true, alreadyApplied: 3 });
    const again = await applyFleet(f);
    expect(again.code).toBe(0);
    expect(report(again).summary).toMatchObject({ targets: 6, upToDate: 6 });
  });

  it('a failing canary stops everything else; a failure in the second wave stops after it; the re-run finishes', async () => {
    const f = await fleet(5, 2);
    await psql('CREATE SCHEMA tenant_0; CREATE TABLE tenant_0.users (x int)', f.database);
    const before = await Promise.all(f.databases.map((d) => ctx.cluster.dump(d)));
    const canary = await applyFleet(f, '--wave', '2');
    expect(canary.code).toBe(3);
    expect(codeOf(canary)).toBe('FLEET_INCOMPLETE');
    expect(outcomes(canary)).toEqual({ 'schema-0': 'failed', 'schema-1': 'not-started', 'schema-2': 'not-started', 'schema-3': 'not-started', 'schema-4': 'not-started', 'db-0': 'not-started', 'db-1': 'not-started' });
    // The canary's failed run is in its own history; no other tenant's schema or database was touched.
    expect(await psql("SELECT outcome FROM tenant_0.migseal_runs", f.database)).toBe('failed');
    expect(await psql("SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'", f.database)).toBe('tenant_0');
    expect(await Promise.all(f.databases.map((d) => ctx.cluster.dump(d)))).toEqual(before);

    // Waves: [schema-0] (canary), [schema-1, schema-2], [schema-3, schema-4], [db-0, db-1]; schema-3 fails.
    await psql('DROP TABLE tenant_0.users; CREATE SCHEMA tenant_3; CREATE TABLE tenant_3.users (x int)', f.database);
    const second = await applyFleet(f, '--wave', '2', '--parallel', '2');
    expect(second.code).toBe(3);
    expect(outcomes(second)).toEqual({ 'schema-0': 'applied', 'schema-1': 'applied', 'schema-2': 'applied', 'schema-3': 'failed', 'schema-4': 'applied', 'db-0': 'not-started', 'db-1': 'not-started' });
    expect(report(second).message).toMatch(/1 failed \(schema-3: MIGRATION_FAILED\), 2 not started; the rollout stopped after wave 3/);
    expect(await psql("SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = 'migseal'", f.databases[0]!)).toBe('0');

    await psql('DROP TABLE tenant_3.users', f.database);
    const rerun = await applyFleet(f, '--wave', '2', '--parallel', '2');
    expect(rerun.code, rerun.stdout).toBe(0);
    expect(outcomes(rerun)).toEqual({ 'schema-0': 'up-to-date', 'schema-1': 'up-to-date', 'schema-2': 'up-to-date', 'schema-3': 'applied', 'schema-4': 'up-to-date', 'db-0': 'applied', 'db-1': 'applied' });
  });

  it('two shards run at once cover every target exactly once', async () => {
    const f = await fleet(8, 2);
    const [one, two] = await Promise.all([applyFleet(f, '--shard', '1/2', '--wave', '4'), applyFleet(f, '--shard', '2/2', '--wave', '4')]);
    expect([one.code, two.code], one.stdout + two.stdout).toEqual([0, 0]);
    const a = report(one).targets.map((t) => t.name);
    const b = report(two).targets.map((t) => t.name);
    expect(a.filter((n) => b.includes(n))).toEqual([]);
    expect([...a, ...b].sort()).toEqual([...f.names].sort());
    for (let i = 0; i < 8; i++) expect(await psql(`SELECT count(*) FROM tenant_${i}.migseal_runs`, f.database)).toBe('1');
  });

  it('a dirty target is named by the report and the exit code; a wrong password is unavailable; the others are applied', async () => {
    const f = await fleet(3, 0);
    // 3 runs outside a transaction (CREATE INDEX CONCURRENTLY): where its index name is taken, it fails and leaves tenant_2 dirty.
    await psql('CREATE SCHEMA tenant_2; CREATE TABLE tenant_2.orders_user (x int)', f.database);
    const first = await applyFleet(f, '--wave', '5');
    expect(first.code).toBe(3);
    expect(report(first).targets[2]).toMatchObject({ name: 'schema-2', outcome: 'failed', error: { code: 'MIGRATION_FAILED' } });
    const again = await applyFleet(f, '--wave', '5');
    expect(again.code).toBe(3);
    expect(codeOf(again)).toBe('FLEET_INCOMPLETE');
    expect(report(again).message).toMatch(/1 failed \(schema-2: DATABASE_DIRTY\)/);
    expect(report(again).targets[2]!.error!.message).toMatch(/is dirty: migration 3 \(index_orders\)/);

    // The password role, with its password from a file beside the targets file; another with a wrong one.
    const db = await ctx.cluster.createDatabase('owned');
    await psql('GRANT CREATE ON DATABASE owned TO deploy', 'owned');
    writeFileSync(join(ctx.world.dir, 'deploy.password'), 'tenant-secret\n', { mode: 0o600 });
    writeFileSync(join(ctx.world.dir, 'wrong.password'), 'not-it\n', { mode: 0o600 });
    const file = join(ctx.world.dir, 'owned.json');
    writeFileSync(
      file,
      JSON.stringify([
        { name: 'owned-a', db: `${ctx.cluster.passwordUrl!.replace(/\/[^/?]+$/, '/owned')}?schema=a`, passwordFile: 'deploy.password' },
        { name: 'owned-b', db: `${ctx.cluster.passwordUrl!.replace(/\/[^/?]+$/, '/owned')}?schema=b`, passwordFile: 'wrong.password' },
      ]),
    );
    expect(db).toBeTruthy();
    // One at a time: owned-a's session is idle when owned-b opens, and is not for another password.
    const owned = await ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--targets', file, '--json', '--canary', '0', '--parallel', '1']);
    expect(owned.code).toBe(3);
    expect(outcomes(owned)).toEqual({ 'owned-a': 'applied', 'owned-b': 'failed' });
    expect(report(owned).targets[1]!.error!.code).toBe('DATABASE_UNAVAILABLE');
    expect(owned.stdout).not.toContain('tenant-secret');
    expect(owned.stdout).not.toContain('not-it');
  });

  it("tenants of one database share a session, reset between them: nothing one tenant's migrations leave in it reaches the next; a failed tenant's session is not reused", async () => {
    // 1 fails if the session holds anything a migration could have left in it; 2 leaves all of that.
    const leaky = await ctx.world.bundle(
      {
        '1_check_session.up.sql': `DO $$ BEGIN
  IF current_setting('search_path') NOT LIKE 'tenant\\_%' OR current_setting('application_name') NOT LIKE 'migseal apply %'
     OR coalesce(current_setting('app.leak', true), '') <> '' OR current_setting('session_replication_role') <> 'origin'
     OR current_setting('DateStyle') = 'SQL, DMY' OR pg_catalog.to_regclass('pg_temp.leak_temp') IS NOT NULL
     OR EXISTS (SELECT 1 FROM pg_prepared_statements WHERE name = 'leak_stmt') OR EXISTS (SELECT 1 FROM pg_cursors WHERE name = 'leak_cursor')
     OR EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND pid = pg_backend_pid())
     OR 'leak_channel' = ANY (ARRAY(SELECT pg_listening_channels())) THEN
    RAISE EXCEPTION 'the session came with state left by another tenant';
  END IF;
  BEGIN
    PERFORM lastval();
    RAISE EXCEPTION 'the session came with a sequence value of another tenant';
  EXCEPTION WHEN object_not_in_prerequisite_state THEN NULL;
  END;
END $$;
`,
        '2_leave_session_state.up.sql': `CREATE TABLE seen AS SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid();
SET search_path = public; SET application_name = 'leaked'; SELECT set_config('app.leak', 'x', false);
SET session_replication_role = replica; SET DateStyle = 'SQL, DMY';
CREATE TEMP TABLE leak_temp (x int); CREATE TEMP SEQUENCE leak_seq; SELECT nextval('leak_seq');
PREPARE leak_stmt AS SELECT 1; DECLARE leak_cursor CURSOR WITH HOLD FOR SELECT 1;
SELECT pg_advisory_lock(4242); LISTEN leak_channel;
`,
      },
      { dialect: 'postgres' },
    );
    const f = await fleet(4, 0);
    // tenant_2 fails at 2 (its table is taken): its session is closed, not given to tenant_3.
    await psql('CREATE SCHEMA tenant_2; CREATE TABLE tenant_2.seen (x int)', f.database);
    // The policy lets 2 set the search path (outside-schema/name-resolution), as a host may.
    const dir = join(ctx.world.dir, 'keys-session');
    mkdirSync(dir, { mode: 0o700, recursive: true });
    copyFileSync(ctx.world.key.publicPath, join(dir, 'release.pub'));
    const policy = writePolicy(dir, { keys: [{ key: ctx.world.key, roles: ['release'] }], environments: { default: { release: 1, findings: { rule: { 'outside-schema/name-resolution': 'allow' } } } } });
    const r = await ctx.world.migseal(['apply', leaky, '--trust', policy, '--targets', f.file, '--json', '--parallel', '1', '--wave', '10']);
    expect(outcomes(r), r.stdout + r.stderr).toEqual({ 'schema-0': 'applied', 'schema-1': 'applied', 'schema-2': 'failed', 'schema-3': 'applied' });
    expect(report(r).targets[2]!.error!.message).toMatch(/"seen" already exists/);
    const sessions = await Promise.all([0, 1, 3].map((i) => psql(`SELECT pid || ' ' || backend_start FROM tenant_${i}.seen`, f.database)));
    // Tenants 0 and 1 ran on one session (so 1's check saw what 0 left, reset); tenant_3 on a new one.
    expect(sessions[1]).toBe(sessions[0]);
    expect(sessions[2]).not.toBe(sessions[0]);
    // Every session is closed at the end, its advisory locks with it.
    expect(await psql("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'migseal%'", f.database)).toBe('0');
  });

  it('a tampered bundle is refused before any database is touched', async () => {
    const f = await fleet(3, 2);
    await psql('CREATE SCHEMA tenant_1; CREATE TABLE tenant_1.keep (x int)', f.database);
    const before = await dumps(f);
    const bytes = readFileSync(bundle);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    const tampered = join(ctx.world.dir, 'tampered.migseal');
    writeFileSync(tampered, bytes);
    const r = await ctx.world.migseal(['apply', tampered, '--trust', ctx.world.policy, '--targets', f.file, '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^migseal: refused: /);
    expect(await dumps(f)).toEqual(before);
    // No connection was ever made for it: the server saw no migseal session.
    expect(await psql("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'migseal%'", f.database)).toBe('0');
  });
});
