/**
 * T1.27 and the rehearsal on SQLite, through the CLI with real keys: a rehearsal that passes
 * and is signed into the bundle without changing its identity; one that catches a down
 * script that fails and one that leaves an object behind; a scratch database that is not
 * empty; and a production policy that refuses a bundle with no rehearsal, with one signed in
 * the wrong role, and with a failed one, and accepts a good one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKey, removeDir, type TestKey } from '../helpers/fixtures.js';
import { codeOf, createWorld, dumpSqlite, V2, type RunnerWorld } from '../helpers/runner-world.js';

let world: RunnerWorld;
let rehearser: TestKey;
let policy: string;
let good: string;
let n = 0;
const scratch = () => `sqlite:${join(world.dir, `scratch-${n++}.sqlite`)}`;
const rehearse = (bundle: string, ...extra: string[]) => world.cli(['rehearse', bundle, '--trust', policy, '--db', scratch(), ...extra]);
/** The last record in the world's audit log (every CLI run of the world writes there). */
const lastAudit = (): Record<string, unknown> => JSON.parse(readFileSync(join(world.dir, 'audit.jsonl'), 'utf8').trimEnd().split('\n').at(-1)!);
const applyProduction = (bundle: string, db: string) => world.cli(['apply', bundle, '--trust', policy, '--env', 'production', '--db', `sqlite:${db}`, '--json']);

beforeAll(async () => {
  world = createWorld('migseal-rehearse-');
  rehearser = makeKey(world.dir, 'rehearser');
  policy = join(world.dir, 'trust-rehearsal.json');
  writeFileSync(
    policy,
    JSON.stringify({
      project: 'shop',
      keys: [
        { id: 'release', publicKey: 'release.pub', roles: ['release'] },
        { id: 'approver', publicKey: 'approver.pub', roles: ['approve'] },
        { id: 'staging-ci', publicKey: 'rehearser.pub', roles: ['rehearse'] },
      ],
      environments: { default: { release: 1 }, production: { release: 1, approve: 1, requireRehearsal: { role: 'rehearse' } } },
    }),
    { mode: 0o644 },
  );
  good = await world.bundle('good', V2);
});
afterAll(() => removeDir(world.dir));

describe('migseal rehearse', () => {
  it('passes a release whose down scripts each restore the schema, and signs it into the bundle with its identity unchanged', async () => {
    const out = join(world.dir, 'good-rehearsed.migseal');
    const result = await rehearse(good, '--key', rehearser.privatePath, '--out', out, '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc).toMatchObject({ ok: true, passed: true, server: { dialect: 'sqlite', version: expect.stringMatching(/^SQLite 3\./) }, signed: { out } });
    expect(doc.migrations.map((m: { version: string; up: string; down: string; reapply: string }) => [m.version, m.up, m.down, m.reapply])).toEqual([
      ['1', 'ok', 'ok', 'ok'],
      ['2', 'ok', 'ok', 'ok'],
      ['3', 'ok', 'ok', 'ok'],
    ]);
    expect(doc.fingerprints.reapplied).toBe(doc.fingerprints.applied);
    expect(lastAudit()).toMatchObject({ event: 'rehearse', outcome: 'passed', bundle: good, database: doc.database, digest: doc.digest, release: '1', signed: { out }, migrations: [{ version: '1', up: 'ok', down: 'ok', reapply: 'ok' }, {}, {}] });
    const inspect = JSON.parse((await world.cli(['verify', out, '--trust', policy, '--json'])).stdout);
    expect(inspect.digest).toBe(doc.digest);
    // --audit-sink stdout: the record's exact line from the file, ahead of the report.
    const text = await rehearse(good, '--audit-sink', 'stdout');
    const [record, ...report] = text.stdout.split('\n');
    expect(record).toBe(readFileSync(join(world.dir, 'audit.jsonl'), 'utf8').trimEnd().split('\n').at(-1));
    expect(report.join('\n')).toMatch(/^rehearsal passed: shop release 1 \(sha256:[0-9a-f]{16}…\) on sqlite:.* \(SQLite 3\.[0-9.]+\)\n {2}1 {2}create_users {2}up ok, down ok, again ok\n/);
  });

  it('catches a down script that fails and one that leaves an object behind (exit 2, REHEARSAL_FAILED), naming them', async () => {
    const leaves = await world.bundle('leaves', { ...V2, '3_index_orders.down.sql': 'SELECT 1;\n' });
    const left = await rehearse(leaves, '--json');
    expect(left.code).toBe(2);
    expect(codeOf(left)).toBe('REHEARSAL_FAILED');
    const doc = JSON.parse(left.stdout);
    expect(doc.migrations.map((m: { version: string; down: string }) => [m.version, m.down])).toEqual([['1', 'ok'], ['2', 'ok'], ['3', 'left-behind']]);
    expect(doc.migrations[2].problem).toBe('left behind index orders_user');
    expect(lastAudit()).toMatchObject({ event: 'rehearse', outcome: 'failed', code: 'REHEARSAL_FAILED', exitCode: 2, digest: doc.digest, migrations: [{}, {}, { version: '3', down: 'left-behind' }] });
    const text = await rehearse(leaves);
    expect(text.stdout).toMatch(/\n {2}3 {2}index_orders {2}up ok, down left-behind, again ok\n {5}down script: left behind index orders_user/);

    const fails = await world.bundle('fails', { ...V2, '2_create_orders.down.sql': 'DROP TABLE orders_typo;\n' });
    const failed = await rehearse(fails, '--json');
    expect(failed.code).toBe(2);
    const f = JSON.parse(failed.stdout);
    expect(f.migrations.map((m: { version: string; down: string; reapply: string }) => [m.version, m.down, m.reapply])).toEqual([['1', 'not-run', 'not-run'], ['2', 'failed', 'not-run'], ['3', 'ok', 'not-run']]);
    expect(f.migrations[1].problem).toBe('no such table: orders_typo');
  });

  it('keeps a repeatable migration through the down pass (it has no down script) and runs it again, blaming no down script for what it made', async () => {
    const flyway = {
      'V1__users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, active INTEGER NOT NULL DEFAULT 1);\n',
      'U1__users.sql': 'DROP TABLE users;\n',
      'V2__orders.sql': 'CREATE TABLE orders (id INTEGER PRIMARY KEY);\n',
      'U2__orders.sql': 'DROP TABLE orders;\n',
      'R__active_users.sql': 'DROP VIEW IF EXISTS active_users;\nCREATE VIEW active_users AS SELECT id FROM users WHERE active = 1;\n',
    };
    const passed = await rehearse(await world.bundle('repeatable', flyway));
    expect(passed.stderr).toBe('');
    expect(passed.code).toBe(0);
    expect(passed.stdout).toMatch(/\n {2}2 {2}orders {2}up ok, down ok, again ok\n {2}R {2}active users {2}up ok, no down script \(repeatable: kept through the down pass\), run again ok\n/);
    // A repeatable that cannot run twice fails where it runs again, and the rest still pass.
    const once = await rehearse(await world.bundle('repeatable-once', { ...flyway, 'R__active_users.sql': 'CREATE VIEW active_users AS SELECT id FROM users;\n' }), '--json');
    expect(once.code).toBe(2);
    expect(codeOf(once)).toBe('REHEARSAL_FAILED');
    expect(JSON.parse(once.stdout).migrations).toMatchObject([
      { version: '1', down: 'ok', reapply: 'ok' },
      { version: '2', down: 'ok', reapply: 'ok' },
      { version: 'R', repeatable: true, up: 'ok', down: 'not-run', reapply: 'failed', problem: 'view active_users already exists' },
    ]);
  });

  it('refuses a scratch database that is not empty, and changes nothing in it', async () => {
    const path = join(world.dir, 'busy.sqlite');
    const db = new Database(path);
    db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY)');
    db.close();
    const before = dumpSqlite(path);
    const result = await world.cli(['rehearse', good, '--trust', policy, '--db', `sqlite:${path}`, '--json']);
    expect(result.code).toBe(2);
    expect(codeOf(result)).toBe('SCRATCH_NOT_EMPTY');
    expect(result.stderr).toMatch(/The scratch database sqlite:.*busy\.sqlite is not empty \(it holds 2 schema objects, the first column customers\.id\); a rehearsal needs an empty database of the target's kind, and nothing was run\./);
    expect(dumpSqlite(path)).toBe(before);
    expect(lastAudit()).toMatchObject({ event: 'refusal', command: 'rehearse', outcome: 'refused', code: 'SCRATCH_NOT_EMPTY', exitCode: 2, database: `sqlite:${path}` });
  });
});

describe('T1.27 a production policy that requires a rehearsal', () => {
  async function expectRefused(bundle: string, reason: RegExp): Promise<void> {
    const db = join(world.dir, `prod-${n++}.sqlite`);
    const result = await applyProduction(bundle, db);
    expect(result.code).toBe(2);
    expect(codeOf(result)).toBe('REHEARSAL_REQUIRED');
    expect(result.stderr).toMatch(/^migseal: refused: Environment "production" requires a passing rehearsal signed in role rehearse, and /);
    expect(result.stderr).toMatch(reason);
    expect(dumpSqlite(db)).toBe('');
  }

  it('refuses a bundle without a rehearsal', async () => {
    await expectRefused(good, /and the bundle carries no rehearsal statement\. Rehearse the release on a scratch database with a key in that role/);
  });

  it('refuses one rehearsed and signed by a key without the rehearse role', async () => {
    const out = join(world.dir, 'wrong-role.migseal');
    expect((await rehearse(good, '--key', world.approver.privatePath, '--out', out)).code).toBe(0);
    await expectRefused(out, /the bundle's rehearsal does not count: it is signed by key "approver", which the policy allows only approve, not rehearse/);
  });

  it('refuses one whose signed rehearsal failed', async () => {
    const bundle = await world.bundle('fails-signed', { ...V2, '3_index_orders.down.sql': 'SELECT 1;\n' });
    const out = join(world.dir, 'failed-rehearsal.migseal');
    expect((await rehearse(bundle, '--key', rehearser.privatePath, '--out', out)).code).toBe(2);
    await expectRefused(out, /it failed: migration 3 \(index_orders\): its down script did not restore the schema \(left behind index orders_user\)\. Fix the release and rehearse it again/);
    const verified = await world.cli(['verify', out, '--trust', policy]);
    expect(verified.stdout).toMatch(/\n {2}rehearsal {3}FAILED on SQLite 3\.[0-9.]+, signed by staging-ci at \S+ \(not counted: it failed: migration 3 /);
  });

  it('accepts a good one, and the default environment never asked', async () => {
    const out = join(world.dir, 'good-for-production.migseal');
    expect((await rehearse(good, '--key', rehearser.privatePath, '--out', out)).code).toBe(0);
    const db = join(world.dir, 'prod-good.sqlite');
    const result = await applyProduction(out, db);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).applied).toHaveLength(3);
    expect((await world.cli(['apply', good, '--trust', policy, '--db', `sqlite:${join(world.dir, 'dev.sqlite')}`])).code).toBe(0);
  });
});
