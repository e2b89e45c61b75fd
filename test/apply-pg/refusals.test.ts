/**
 * Every refusal of apply against a real PostgreSQL server: exit 2, the code and a message
 * naming the cause, an audit record, and a database that is byte-for-byte what it was
 * (pg_dump of schema and data, migseal's history tables included).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { counterMigrations, policyFor } from '../helpers/release-world.js';

const ctx = usePostgresWorld();
let databases = 0;


async function freshDatabase(): Promise<{ name: string; url: string }> {
  const name = `refusal_${++databases}`;
  return { name, url: await ctx.cluster.createDatabase(name) };
}

async function applyOk(bundle: string, url: string, policy = ctx.world.policy): Promise<void> {
  const result = await ctx.world.migseal(['apply', bundle, '--trust', policy, '--db', url]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

function lastAuditRecord(): Record<string, unknown> {
  const lines = readFileSync(ctx.world.auditLog, 'utf8').trim().split('\n');
  return JSON.parse(lines.at(-1)!) as Record<string, unknown>;
}

/** Runs the command, expects a refusal with `code`, and proves the database did not change. */
async function expectRefused(database: string, args: string[], code: string, message: RegExp): Promise<void> {
  const before = await ctx.cluster.dump(database);
  const text = await ctx.world.migseal(args);
  expect(text.code).toBe(2);
  expect(text.stderr).toMatch(/^migseal: refused: /);
  expect(text.stderr).toMatch(message);
  // The audit record carries the code that --json would print.
  expect(lastAuditRecord()).toMatchObject({ event: 'refusal', code, exitCode: 2 });
  expect(await ctx.cluster.dump(database)).toBe(before);
}

const M = counterMigrations(4);
const pick = (...versions: number[]) =>
  Object.fromEntries(Object.entries(M).filter(([name]) => versions.includes(Number(name.split('_')[0]))));

describe('apply on PostgreSQL refuses, changing nothing', () => {
  it('T1.10 drift: an applied migration whose bytes changed', async () => {
    const db = await freshDatabase();
    await applyOk(await ctx.world.bundle(pick(1, 2), { release: '1' }), db.url);
    const edited = { ...pick(1, 2, 3), '2_step_2.up.sql': `${M['2_step_2.up.sql']}-- edited after it was applied\n` };
    const bundle = await ctx.world.bundle(edited, { release: '2' });
    await expectRefused(db.name, ['apply', bundle, '--trust', ctx.world.policy, '--db', db.url], 'MIGRATION_DRIFT', /\b2\b.*(checksum|changed|differ)/i);
  });

  it('T4.5 an applied migration the bundle does not contain (unless allowed)', async () => {
    const db = await freshDatabase();
    await applyOk(await ctx.world.bundle(pick(1, 2, 3), { release: '1' }), db.url);
    const bundle = await ctx.world.bundle(pick(1, 2, 4), { release: '2' });
    const args = ['apply', bundle, '--trust', ctx.world.policy, '--db', db.url];
    await expectRefused(db.name, args, 'MIGRATION_UNKNOWN_APPLIED', /\b3\b/);
    const allowed = await ctx.world.migseal([...args, '--allow-unknown-applied']);
    expect(allowed.code).toBe(0);
    expect((await ctx.cluster.psql('SELECT string_agg(v::text, \',\' ORDER BY v) FROM ran', db.name)).trim()).toBe('1,2,3,4');
  });

  it('T4.6 a pending migration ordered before one already applied', async () => {
    const db = await freshDatabase();
    await applyOk(await ctx.world.bundle(pick(1, 3), { release: '1' }), db.url);
    const bundle = await ctx.world.bundle(pick(1, 2, 3), { release: '2' });
    await expectRefused(db.name, ['apply', bundle, '--trust', ctx.world.policy, '--db', db.url], 'MIGRATION_OUT_OF_ORDER', /\b2\b.*\b3\b/);
  });

  it('T1.9 a release older than the newest applied, and another bundle under the same release number', async () => {
    const db = await freshDatabase();
    const older = await ctx.world.bundle(pick(1), { release: '1' });
    await applyOk(await ctx.world.bundle(pick(1, 2), { release: '2' }), db.url);
    await expectRefused(db.name, ['apply', older, '--trust', ctx.world.policy, '--db', db.url], 'RELEASE_ROLLBACK', /Release 1 is older than release 2/);
    const twin = await ctx.world.bundle(pick(1, 2, 3), { release: '2' });
    await expectRefused(db.name, ['apply', twin, '--trust', ctx.world.policy, '--db', db.url], 'RELEASE_ROLLBACK', /already applied .* from another bundle/);
  });

  it("T1.11 another project's bundle", async () => {
    const db = await freshDatabase();
    await applyOk(await ctx.world.bundle(pick(1), { release: '1' }), db.url);
    const billing = await ctx.world.bundle(pick(1, 2), { release: '7', project: 'billing' });
    await expectRefused(db.name, ['apply', billing, '--trust', policyFor(ctx.world, 'billing'), '--db', db.url], 'WRONG_PROJECT', /project "billing".*holds project "shop"/);
  });

  it('T1.12 a bundle for another dialect', async () => {
    const db = await freshDatabase();
    const sqliteOnly = await ctx.world.bundle(pick(1, 2), { release: '1', dialect: 'sqlite' });
    await expectRefused(db.name, ['apply', sqliteOnly, '--trust', ctx.world.policy, '--db', db.url], 'WRONG_DIALECT', /for sqlite.*is postgres/);
    const json = await ctx.world.migseal(['apply', sqliteOnly, '--trust', ctx.world.policy, '--db', db.url, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, code: 'WRONG_DIALECT', exitCode: 2 });
  });

  it('T4.4 a dirty database, until resolve records the operator’s decision', async () => {
    const db = await freshDatabase();
    const failing = {
      ...pick(1),
      '2_half.up.sql': 'BEGIN;\nCREATE TABLE half (x INTEGER);\nCOMMIT;\nSELECT no_such_function();\n',
      '2_half.down.sql': 'DROP TABLE half;\n',
    };
    const bundle = await ctx.world.bundle(failing, { release: '1' });
    const failed = await ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', db.url]);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toMatch(/Migration 2 \(half\) failed: .*no_such_function.*marked dirty/);
    const args = ['apply', bundle, '--trust', ctx.world.policy, '--db', db.url];
    await expectRefused(db.name, args, 'DATABASE_DIRTY', /is dirty: migration 2 \(half\)/);
    const fixed = await ctx.world.bundle({ ...pick(1, 3), '2_half.up.sql': failing['2_half.up.sql'], '2_half.down.sql': failing['2_half.down.sql'] }, { release: '2' });
    await expectRefused(db.name, ['apply', fixed, '--trust', ctx.world.policy, '--db', db.url], 'DATABASE_DIRTY', /resolve --version 2/);

    const resolved = await ctx.world.migseal(['resolve', '--db', db.url, '--version', '2', '--as', 'applied', '--reason', 'half table checked by hand']);
    expect(resolved.code).toBe(0);
    expect(lastAuditRecord()).toMatchObject({ reason: 'half table checked by hand' });
    await applyOk(fixed, db.url);
    expect((await ctx.cluster.psql('SELECT string_agg(v::text, \',\' ORDER BY v) FROM ran', db.name)).trim()).toBe('1,3');
  });

  it('T4.1 a bundle that fails verification never reaches the database', async () => {
    const db = await freshDatabase();
    await applyOk(await ctx.world.bundle(pick(1), { release: '1' }), db.url);
    const good = await ctx.world.bundle(pick(1, 2), { release: '2' });
    const bytes = readFileSync(good);
    bytes[bytes.length - 30] = bytes[bytes.length - 30]! ^ 0x01;
    const bad = `${good}.tampered`;
    writeFileSync(bad, bytes);
    const before = await ctx.cluster.dump(db.name);
    const result = await ctx.world.migseal(['apply', bad, '--trust', ctx.world.policy, '--db', db.url]);
    expect(result.code).toBe(2);
    expect(await ctx.cluster.dump(db.name)).toBe(before);
  });

  it('T4.2 another runner holding the lock: a bounded wait, then LOCK_TIMEOUT', async () => {
    const db = await freshDatabase();
    const bundle = await ctx.world.bundle(pick(1, 2), { release: '1' });
    const url = new URL(db.url);
    const holder = new pg.Client({ host: url.hostname, port: Number(url.port), user: url.username, database: db.name });
    await holder.connect();
    try {
      // The runner's advisory lock key (src/db/postgres.ts).
      await holder.query('SELECT pg_advisory_lock(7581215183639544856)');
      const holderPid = Number((await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
      const before = await ctx.cluster.dump(db.name);
      const started = Date.now();
      const waited = await ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', db.url, '--lock-timeout', '1']);
      // The message says the flag's 1000 ms reached the lock. The whole command, start-up and verification included,
      // takes at least that, and far less than the 30 s default.
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(1000);
      expect(took).toBeLessThan(20_000);
      // Exit 4: nothing ran, and the same command may succeed later.
      expect(waited.code).toBe(4);
      expect(waited.stderr).toMatch(/^migseal: unavailable: Another migseal runner holds the lock/);
      // The session that holds it is named, as a lock timeout in a script names its holder.
      expect(waited.stderr).toContain(`: pid ${holderPid} (user ${ctx.cluster.user}, application "", idle, `);
      expect(waited.stderr).toContain('last query: SELECT pg_backend_pid() AS pid); gave up after 1000 ms.');
      // It holds a session lock in no transaction: its age is its last query's, and not called a transaction's.
      expect(waited.stderr).toMatch(/idle, its last query began \d+ s ago, last query:/);
      expect(waited.stderr).not.toContain('its transaction began');
      expect(lastAuditRecord()).toMatchObject({ outcome: 'unavailable', code: 'LOCK_TIMEOUT', exitCode: 4 });
      expect(await ctx.cluster.dump(db.name)).toBe(before);
    } finally {
      await holder.end();
    }
    await applyOk(bundle, db.url);
  });

  it('T4.2 a migseal runner holding the lock is named by what it runs (command and release), never by its script', async () => {
    const db = await freshDatabase();
    // The first runner's script waits on a table this test holds: it keeps the runner lock until the test lets go.
    await ctx.cluster.psql('CREATE TABLE gate (x integer)', db.name);
    const gate = new pg.Client({ connectionString: db.url });
    await gate.connect();
    await gate.query('BEGIN; LOCK TABLE gate IN ACCESS EXCLUSIVE MODE');
    const slow = await ctx.world.bundle({ '1_slow.up.sql': '-- api_token=s3cr3t-in-a-comment\nCREATE TABLE slow (id integer);\nINSERT INTO slow SELECT count(*) FROM gate;\n' }, { release: '7.1' });
    const first = ctx.world.migseal(['apply', slow, '--trust', ctx.world.policy, '--db', db.url, '--pg-lock-timeout', '60s']);
    let runner: { pid: number; application: string } | undefined;
    // Another session watches: pg_stat_activity stays the same for the length of a transaction (the gate's).
    const watcher = new pg.Client({ connectionString: db.url });
    await watcher.connect();
    try {
      for (let i = 0; i < 800 && !runner; i++) {
        const { rows } = await watcher.query("SELECT pid, application_name AS application FROM pg_stat_activity WHERE query LIKE '%FROM gate%' AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()");
        runner = rows[0] as typeof runner;
        if (!runner) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      // The runner's session says what it runs, to anyone reading pg_stat_activity.
      expect(runner?.application).toMatch(/^migseal apply \S+ 7\.1$/);
      const waited = await ctx.world.migseal(['apply', await ctx.world.bundle(pick(1), { release: '8' }), '--trust', ctx.world.policy, '--db', db.url, '--lock-timeout', '0.5', '--json']);
      expect(waited.code).toBe(4);
      const { code, message } = JSON.parse(waited.stdout) as { code: string; message: string };
      expect(code).toBe('LOCK_TIMEOUT');
      expect(message).toMatch(new RegExp(`^Another migseal runner holds the lock on \\S+: pid ${runner!.pid} \\(user [^,]+, application "migseal apply \\S+ 7\\.1", active, its transaction began \\d+ s ago\\); gave up after 500 ms\\.`));
      expect(message).not.toMatch(/s3cr3t|api_token|gate|CREATE TABLE|BEGIN/);
      expect(waited.stderr).not.toMatch(/s3cr3t|gate/);
    } finally {
      await watcher.end();
      await gate.query('ROLLBACK');
      await gate.end();
    }
    const done = await first;
    expect(done.code, done.stderr).toBe(0);
    // The refused runner wrote nothing (pg_dump would wait for the gate): only the first one's run and migration are there.
    expect(await ctx.cluster.psql("SELECT string_agg(release, ',') FROM migseal.migseal_runs", db.name)).toBe('7.1\n');
    expect(await ctx.cluster.psql("SELECT string_agg(version, ',') FROM migseal.migseal_migrations", db.name)).toBe('1\n');
  });

  it('plan reads and reports, but writes nothing', async () => {
    const db = await freshDatabase();
    await applyOk(await ctx.world.bundle(pick(1), { release: '1' }), db.url);
    const before = await ctx.cluster.dump(db.name);
    const plan = await ctx.world.migseal(['plan', await ctx.world.bundle(pick(1, 2, 3), { release: '2' }), '--trust', ctx.world.policy, '--db', db.url, '--json']);
    expect(plan.code).toBe(0);
    expect(await ctx.cluster.dump(db.name)).toBe(before);
  });
});
