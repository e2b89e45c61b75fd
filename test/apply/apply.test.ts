import { copyFileSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir } from '../helpers/fixtures.js';
import { runCliOnTerminal } from '../helpers/cli.js';
import { codeOf, createWorld, dumpSqlite, rows, tableNames, V1, V2, type RunnerWorld } from '../helpers/runner-world.js';

let world: RunnerWorld;
let n = 0;
const freshDb = () => join(world.dir, `db-${n++}.sqlite`);
const apply = (bundle: string, db: string, ...extra: string[]) => world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--json', ...extra]);

/** V1 and V2 (release 1) as bundles, each applied once by the CLI to a database that tests start from a copy of. */
let v2Bundle = '';
let v1Applied = '';
let v2Applied = '';

beforeAll(async () => {
  world = createWorld();
  const v1Bundle = await world.bundle('v1-shared', V1);
  v2Bundle = await world.bundle('v2-shared', V2);
  v1Applied = join(world.dir, 'v1-applied.sqlite');
  v2Applied = join(world.dir, 'v2-applied.sqlite');
  const results = await Promise.all([apply(v1Bundle, v1Applied), apply(v2Bundle, v2Applied)]);
  expect(results.map((r) => [r.code, r.stderr])).toEqual([[0, ''], [0, '']]);
});

/** A fresh database holding what applying `template`'s bundle left: a copy of that file, not another apply. */
function appliedDb(template: string): string {
  const db = freshDb();
  copyFileSync(template, db);
  return db;
}
afterAll(() => removeDir(world.dir));

/** Runs a command that must be refused before anything runs, and proves the database did not change. */
async function expectRefusal(db: string, run: () => ReturnType<RunnerWorld['cli']>, code: string, message: RegExp): Promise<void> {
  const before = dumpSqlite(db);
  const result = await run();
  expect(result.stderr).toMatch(message);
  expect(codeOf(result)).toBe(code);
  expect(result.code).toBe(2);
  expect(dumpSqlite(db)).toBe(before);
}

describe('apply on SQLite', () => {
  it('verifies, applies every migration with its history, and is a no-op the second time', async () => {
    const bundle = await world.bundle('v1', V1);
    const db = freshDb();
    const first = await apply(bundle, db);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).applied.map((a: { version: string }) => a.version)).toEqual(['1', '2']);
    // golang-migrate's own table is kept too (the folder is in its layout): see test/peer-history.
    expect(tableNames(db)).toEqual(['migseal_backups', 'migseal_chain', 'migseal_fingerprints', 'migseal_migrations', 'migseal_release', 'migseal_runs', 'orders', 'schema_migrations', 'users']);
    expect(rows(db, 'SELECT version, dirty FROM schema_migrations')).toEqual([{ version: 2, dirty: 0 }]);
    const history = rows(db, 'SELECT version, state, release, checksum, bundle_digest, applied_by FROM migseal_migrations ORDER BY version');
    expect(history.map((r) => [r.version, r.state, r.release])).toEqual([
      ['1', 'applied', '1'],
      ['2', 'applied', '1'],
    ]);
    expect(history[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
    const run = rows(db, 'SELECT * FROM migseal_runs')[0]!;
    expect(run).toMatchObject({ command: 'apply', project: 'shop', release: '1', outcome: 'succeeded', environment: 'default' });
    expect((JSON.parse(String(run.signers)) as string[]).sort()).toEqual(['approver (approve)', 'release (release)']);
    expect(rows(db, 'SELECT project, dialect, release FROM migseal_release')).toEqual([{ project: 'shop', dialect: 'sqlite', release: '1' }]);
    // The run commits by truncating its journal; it leaves no journal file and the file's mode as it was.
    expect(existsSync(`${db}-journal`)).toBe(false);
    expect(rows(db, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'delete' }]);

    const before = dumpSqlite(db);
    const again = await apply(bundle, db);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ upToDate: true, applied: [] });
    expect(dumpSqlite(db)).toBe(before);
  });

  it('applies only the new migrations of a later release', async () => {
    const db = appliedDb(v1Applied);
    const result = await apply(await world.bundle('r2', V2, { release: '2' }), db);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ alreadyApplied: 2, applied: [{ version: '3' }] });
    expect(rows(db, 'SELECT release FROM migseal_release')).toEqual([{ release: '2' }]);
  });

  it('prints a human report and writes apply records to the audit log', async () => {
    const db = freshDb();
    const result = await world.cli(['apply', await world.bundle('human', V1), '--trust', world.policy, '--db', `sqlite:${db}`]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/verified shop release 1 .*\napplied 2 migrations to sqlite:/);
    expect(result.stderr).toBe('');
    const audit = readFileSync(join(world.dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit.some((r) => r.event === 'apply' && r.outcome === 'applied' && r.database === `sqlite:${db}`)).toBe(true);
  });
});

describe('the database from the environment, and runs that died', () => {
  it('takes the database from MIGSEAL_DATABASE_URL, and marks a run left "running" by a dead runner as interrupted', async () => {
    const db = freshDb();
    const env = { MIGSEAL_DATABASE_URL: `sqlite:${db}` };
    expect((await world.cli(['apply', await world.bundle('env1', V1), '--trust', world.policy], env)).code).toBe(0);
    // A runner killed mid-run leaves its run row as "running" (its transaction for the migration itself rolled back).
    // (Written as migseal writes it, with its history-chain entry; a row added by hand is tampering, see history-chain.test.ts.)
    const { SqliteDriver } = await import('../../src/db/sqlite.js');
    const { startRun } = await import('../../src/apply/history.js');
    const dead = SqliteDriver.open(db);
    await dead.transaction(() =>
      startRun(dead, {
        runId: 'dead', command: 'apply', bundleDigest: null, project: null, release: null, signers: [], environment: null, host: 'h', osUser: 'u',
        startedAt: '2000-01-01T00:00:00.000Z', finishedAt: null, outcome: 'running', error: null, reason: null, auditHash: null,
      }),
    );
    await dead.close();
    const next = await world.cli(['apply', await world.bundle('env2', V2, { release: '2' }), '--trust', world.policy, '--json'], env);
    expect(next.code).toBe(0);
    expect(rows(db, "SELECT outcome FROM migseal_runs WHERE run_id = 'dead'")).toEqual([{ outcome: 'interrupted' }]);
    const history = await world.cli(['history', '--json'], env);
    expect(JSON.parse(history.stdout).runs.map((r: { outcome: string }) => r.outcome)).toEqual(['interrupted', 'succeeded', 'succeeded']);
  });
});

describe('plan', () => {
  it('creates nothing on a database that does not exist yet, and lists everything as pending', async () => {
    const db = freshDb();
    const result = await world.cli(['plan', await world.bundle('plan', V1), '--trust', world.policy, '--db', `sqlite:${db}`, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).pending.map((p: { version: string }) => p.version)).toEqual(['1', '2']);
    expect(existsSync(db)).toBe(false);
  });

  it('status on a SQLite path that does not exist: exit 0, no migseal history, and no file (or folder) created', async () => {
    for (const db of [freshDb(), join(world.dir, 'no-such-folder', 'shop.sqlite')]) {
      const text = await world.cli(['status', '--db', `sqlite:${db}`]);
      expect(text.code).toBe(0);
      expect(text.stdout).toBe(`sqlite:${db}: no migseal history (nothing applied)\n  migrations  0 applied, 0 adopted, 0 rolled back, 0 dirty\n`);
      const json = await world.cli(['status', '--db', `sqlite:${db}`, '--json']);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, exists: false, release: null, migrations: [], invalidIndexes: [], problems: [] });
      expect(existsSync(db)).toBe(false);
      expect(existsSync(`${db}-migseal-lock`)).toBe(false);
    }
    expect(existsSync(join(world.dir, 'no-such-folder'))).toBe(false);
  });

  it('changes nothing on an applied database and shows applied, pending and drift', async () => {
    const db = appliedDb(v1Applied);
    const before = dumpSqlite(db);
    const changed = { ...V2, '2_create_orders.up.sql': 'CREATE TABLE orders (id INTEGER PRIMARY KEY);\n' };
    const result = await world.cli(['plan', await world.bundle('plan-b', changed, { release: '2' }), '--trust', world.policy, '--db', `sqlite:${db}`, '--json']);
    const doc = JSON.parse(result.stdout);
    expect(doc.applied).toEqual(['1']);
    expect(doc.drift.map((d: { version: string }) => d.version)).toEqual(['2']);
    expect(doc.pending.map((p: { version: string }) => p.version)).toEqual(['3']);
    expect(doc.refusal.code).toBe('MIGRATION_DRIFT');
    expect(result.code).toBe(2);
    expect(dumpSqlite(db)).toBe(before);
  });
});

describe('apply refuses, exit 2, database unchanged', () => {
  it('T4.1 a bundle with one byte changed (verification runs before the database is touched)', async () => {
    const db = appliedDb(v1Applied);
    const bundle = await world.bundle('t2', V2, { release: '2' });
    const bytes = readFileSync(bundle);
    const { gunzipSync, gzipSync } = await import('node:zlib');
    const tar = gunzipSync(bytes);
    const at = tar.indexOf('CREATE INDEX orders_user');
    tar[at] = 'c'.charCodeAt(0);
    writeFileSync(bundle, gzipSync(tar));
    await expectRefusal(db, () => apply(bundle, db), 'FILE_DIGEST_MISMATCH', /refused: .*3_index_orders\.up\.sql/);
  });

  it('T1.10 drift: an applied migration whose bytes changed', async () => {
    const db = appliedDb(v1Applied);
    const edited = { ...V2, '1_create_users.up.sql': V1['1_create_users.up.sql']!.replace('NOT NULL', 'NOT NULL UNIQUE') };
    const bundle = await world.bundle('d2', edited, { release: '2' });
    await expectRefusal(db, () => apply(bundle, db), 'MIGRATION_DRIFT', /Migration 1 \(create_users\) was applied .* with checksum/);
  });

  it('T4.5 an applied migration the bundle does not contain, unless --allow-unknown-applied', async () => {
    const db = appliedDb(v2Applied);
    const { ['3_index_orders.up.sql']: _u, ['3_index_orders.down.sql']: _d, ...withoutThree } = V2;
    const bundle = await world.bundle('u2', { ...withoutThree, '4_add_notes.up.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY);\n' }, { release: '2' });
    await expectRefusal(db, () => apply(bundle, db), 'MIGRATION_UNKNOWN_APPLIED', /has 1 applied migration\(s\) that this bundle does not contain \(3\)/);
    const allowed = await apply(bundle, db, '--allow-unknown-applied');
    expect(allowed.code).toBe(0);
    expect(tableNames(db)).toContain('notes');
  });

  it('T4.6 a pending migration ordered before an applied one', async () => {
    const db = freshDb();
    const { ['2_create_orders.up.sql']: _u, ['2_create_orders.down.sql']: _d, ...gap } = V1;
    await apply(await world.bundle('o1', { ...gap, '3_notes.up.sql': 'CREATE TABLE notes (id INTEGER);\n' }), db);
    const bundle = await world.bundle('o2', { ...V1, '3_notes.up.sql': 'CREATE TABLE notes (id INTEGER);\n' }, { release: '2' });
    await expectRefusal(db, () => apply(bundle, db), 'MIGRATION_OUT_OF_ORDER', /Migration 2 \(create_orders\) is pending, but .* already has the later migration 3/);
  });

  it('T1.9 a release older than the newest applied (rollback / replay)', async () => {
    const db = freshDb();
    const old = await world.bundle('rel1', V1, { release: '1' });
    await apply(await world.bundle('rel2', V2, { release: '2' }), db);
    await expectRefusal(db, () => apply(old, db), 'RELEASE_ROLLBACK', /Release 1 is older than release 2, already applied/);
  });

  it('T1.9 the same release number from a different bundle', async () => {
    const db = freshDb();
    await apply(await world.bundle('same1', V1, { release: '5' }), db);
    const other = await world.bundle('same2', V2, { release: '5' });
    await expectRefusal(db, () => apply(other, db), 'RELEASE_ROLLBACK', /Release 5 was already applied .* from another bundle/);
  });

  it('T1.11 a bundle for another project than the one the database holds', async () => {
    const db = freshDb();
    const billing = createWorld('migseal-billing-');
    try {
      // The database was migrated by project "billing" under billing's own policy.
      const billingPolicy = join(billing.dir, 'billing-trust.json');
      writeFileSync(billingPolicy, readFileSync(billing.policy, 'utf8').replace('"project": "shop"', '"project": "billing"'));
      const billingBundle = await billing.bundle('b', { '1_ledger.up.sql': 'CREATE TABLE ledger (id INTEGER);\n' }, { project: 'billing' });
      const first = await billing.cli(['apply', billingBundle, '--trust', billingPolicy, '--db', `sqlite:${db}`]);
      expect(first.code).toBe(0);
    } finally {
      removeDir(billing.dir);
    }
    const bundle = await world.bundle('proj', V1);
    await expectRefusal(db, () => apply(bundle, db), 'WRONG_PROJECT', /The bundle is for project "shop", but .* holds project "billing"/);
  });

  it('T1.12 a bundle for another dialect', async () => {
    const db = appliedDb(v1Applied);
    const bundle = await world.bundle('dia2', V2, { release: '2', dialect: 'postgres' });
    await expectRefusal(db, () => apply(bundle, db), 'WRONG_DIALECT', /The bundle is for postgres, but sqlite:.* is sqlite/);
  });

  it('T4.9 a password in the database URL, without echoing it', async () => {
    const bundle = await world.bundle('cred', V1);
    const result = await world.cli(['apply', bundle, '--trust', world.policy, '--db', 'postgres://deploy:hunter2-secret@127.0.0.1:1/shop', '--json']);
    expect(result.code).toBe(1);
    expect(codeOf(result)).toBe('CREDENTIALS_ON_COMMAND_LINE');
    expect(result.stderr).toMatch(/PGPASSWORD, MIGSEAL_DATABASE_PASSWORD or MIGSEAL_DATABASE_PASSWORD_FILE/);
    expect(result.stdout + result.stderr + readFileSync(join(world.dir, 'audit.jsonl'), 'utf8')).not.toContain('hunter2-secret');
  });
});

describe('failures while running, exit 3', () => {
  it('a failing transactional migration is rolled back; the ones before it stay recorded', async () => {
    const db = freshDb();
    const bundle = await world.bundle('fail', {
      ...V1,
      '3_broken.up.sql': 'CREATE TABLE half (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n',
    });
    const result = await apply(bundle, db);
    expect(result.code).toBe(3);
    expect(codeOf(result)).toBe('MIGRATION_FAILED');
    expect(result.stderr).toMatch(/Migration 3 \(broken\) failed: no such table: no_such_table\. Migrations 1, 2 were applied and recorded; its changes were rolled back\./);
    expect(tableNames(db)).not.toContain('half');
    expect(rows(db, 'SELECT version, state FROM migseal_migrations ORDER BY version')).toEqual([
      { version: '1', state: 'applied' },
      { version: '2', state: 'applied' },
    ]);
    expect(rows(db, 'SELECT outcome, error FROM migseal_runs')[0]).toMatchObject({ outcome: 'failed', error: expect.stringContaining('no_such_table') });
  });

  it('T4.4 a failing migration outside a transaction marks the database dirty until resolve; then apply continues', async () => {
    const db = freshDb();
    // The file manages its own transaction, so the runner cannot wrap it: it runs outside one.
    const files = {
      ...V1,
      '3_own_tx.up.sql': 'BEGIN;\nCREATE TABLE audit_trail (id INTEGER);\nCOMMIT;\nINSERT INTO no_such_table VALUES (1);\n',
      '4_after.up.sql': 'CREATE TABLE after_resolve (id INTEGER);\n',
    };
    const bundle = await world.bundle('dirty', files);
    const failed = await apply(bundle, db);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toMatch(/Migration 3 \(own_tx\) failed: .*it ran outside migseal's transaction, so what it did before failing may be committed, and sqlite:.* is marked dirty until migseal resolve --version 3/);
    expect(tableNames(db)).toContain('audit_trail');
    expect(rows(db, "SELECT state FROM migseal_migrations WHERE version = '3'")).toEqual([{ state: 'dirty' }]);

    await expectRefusal(db, () => apply(bundle, db), 'DATABASE_DIRTY', /is dirty: migration 3 \(own_tx\) did not finish outside a transaction/);

    const resolved = await world.cli(['resolve', '--db', `sqlite:${db}`, '--version', '3', '--as', 'applied', '--reason', 'audit_trail exists; the insert was a typo', '--json']);
    expect(resolved.code).toBe(0);
    expect(JSON.parse(resolved.stdout)).toMatchObject({ from: 'dirty', to: 'applied' });
    const row = rows(db, "SELECT state, note FROM migseal_migrations WHERE version = '3'")[0]!;
    expect(row.state).toBe('applied');
    expect(String(row.note)).toMatch(/resolved as applied by .+@.+: audit_trail exists; the insert was a typo/);
    expect(rows(db, "SELECT reason FROM migseal_runs WHERE command = 'resolve'")[0]!.reason).toMatch(/3 dirty -> applied/);

    const resumed = await apply(bundle, db);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).applied.map((a: { version: string }) => a.version)).toEqual(['4']);
    const audit = readFileSync(join(world.dir, 'audit.jsonl'), 'utf8');
    expect(audit).toContain('"event":"resolve"');
    expect(audit).toContain('"code":"DATABASE_DIRTY"');
  });
});

describe('database errors', () => {
  it('a file that is not a SQLite database: exit 4 (nothing ran) with the database error, the file untouched', async () => {
    const db = freshDb();
    writeFileSync(db, 'not a database, only text that is long enough to have a header of 100 bytes............................\n');
    const before = readFileSync(db);
    const result = await apply(await world.bundle('notdb', V1), db);
    expect(result.code).toBe(4);
    expect(codeOf(result)).toBe('DATABASE_UNAVAILABLE');
    expect(result.stderr).toMatch(/unavailable: sqlite:.*: file is not a database\./);
    expect(readFileSync(db).equals(before)).toBe(true);
  });
});

describe('resolve as rolled-back, and a failing down script', () => {
  it('status names the dirty migration; resolve --as rolled-back makes it pending again', async () => {
    const db = freshDb();
    const bundle = await world.bundle('rb-resolve', { ...V1, '3_bad.up.sql': 'BEGIN;\nCREATE TABLE partial (id INTEGER);\nCOMMIT;\nSELECT * FROM no_such_table;\n' });
    expect((await apply(bundle, db)).code).toBe(3);
    const status = await world.cli(['status', '--db', `sqlite:${db}`, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ counts: { applied: 2, dirty: 1 }, dirty: [{ version: '3', name: 'bad' }] });
    const resolved = await world.cli(['resolve', '--db', `sqlite:${db}`, '--version', '3', '--as', 'rolled-back', '--reason', 'dropped the partial table by hand']);
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toMatch(/resolved migration 3 \(bad\) on sqlite:.*: dirty -> rolled-back, recorded as decided by .+@.+/);
    const plan = await world.cli(['plan', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--json']);
    expect(JSON.parse(plan.stdout).pending.map((p: { version: string }) => p.version)).toEqual(['3']);
  });

  it('a down script that fails outside a transaction stops the rollback and marks the database dirty', async () => {
    const db = freshDb();
    const bundle = await world.bundle('rb-fail', { ...V2, '3_index_orders.down.sql': 'BEGIN;\nDROP INDEX orders_user;\nCOMMIT;\nDROP TABLE no_such_table;\n' });
    await apply(bundle, db);
    const result = await world.cli(['rollback', '--yes', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--to', '0', '--json']);
    expect(result.code).toBe(3);
    expect(codeOf(result)).toBe('MIGRATION_FAILED');
    expect(result.stderr).toMatch(/Migration 3 \(index_orders\) failed: no such table: no_such_table\. No migration was rolled back; it ran outside migseal's transaction, so what it did before failing may be committed/);
    expect(rows(db, 'SELECT version, state FROM migseal_migrations ORDER BY version')).toEqual([
      { version: '1', state: 'applied' },
      { version: '2', state: 'applied' },
      { version: '3', state: 'dirty' },
    ]);
    expect(tableNames(db)).toContain('orders');
  });
});

describe('rollback', () => {
  it('runs the verified down scripts newest first and records them; apply brings them back', async () => {
    const db = appliedDb(v2Applied);
    const bundle = v2Bundle;
    const result = await world.cli(['rollback', '--yes', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--to', '1', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).rolledBack.map((r: { version: string }) => r.version)).toEqual(['3', '2']);
    expect(tableNames(db)).not.toContain('orders');
    expect(rows(db, 'SELECT version, state FROM migseal_migrations ORDER BY version')).toEqual([
      { version: '1', state: 'applied' },
      { version: '2', state: 'rolled-back' },
      { version: '3', state: 'rolled-back' },
    ]);
    expect(rows(db, "SELECT outcome, reason FROM migseal_runs WHERE command = 'rollback'")).toEqual([{ outcome: 'succeeded', reason: 'rollback to 1' }]);
    const again = await apply(bundle, db);
    expect(JSON.parse(again.stdout).applied.map((a: { version: string }) => a.version)).toEqual(['2', '3']);
  });

  it('prints its plan first and, off a terminal, refuses without --yes, changing nothing', async () => {
    const db = appliedDb(v2Applied);
    const bundle = v2Bundle;
    const before = dumpSqlite(db);
    const result = await world.cli(['rollback', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--to', '1']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^rollback plan for sqlite:.*: 2 down scripts, newest first, back to 1\n {2}3 {2}index_orders {2}\(3_index_orders\.down\.sql\)\n {6}DROP INDEX orders_user;\n {2}2 {2}create_orders {2}\(2_create_orders\.down\.sql\)\n {6}DROP TABLE orders;\n/);
    expect(result.stderr).toMatch(/migseal: error: rollback would run the down scripts of 2 migrations on sqlite:.*, and asks first; stdin and stdout are not a terminal, so pass --yes to roll back without asking\. Nothing was rolled back\./);
    const json = await world.cli(['rollback', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--to', '1', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, code: 'USAGE', details: { plan: [{ version: '3', name: 'index_orders', file: '3_index_orders.down.sql' }, { version: '2' }] } });
    expect(json.stderr).not.toMatch(/rollback plan/);
    expect(dumpSqlite(db)).toBe(before);
  });

  it('on a terminal, asks: anything but yes rolls nothing back (NOT_CONFIRMED), y does', async () => {
    const db = appliedDb(v2Applied);
    const bundle = v2Bundle;
    const before = dumpSqlite(db);
    const args = ['rollback', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--to', '1'];
    const env = { MIGSEAL_AUDIT_LOG: join(world.dir, 'audit.jsonl') };
    const no = await runCliOnTerminal([...args, '--json'], { cwd: world.dir, env, input: 'n\n' });
    expect(no.screen).toMatch(/rollback plan for sqlite:.*: 2 down scripts[\s\S]*DROP TABLE orders;\nRoll back 2 migrations on sqlite:.* to 1\? \[y\/N\] /);
    expect(no.screen).toMatch(/"code": "NOT_CONFIRMED"/);
    expect(no.screen).toMatch(/migseal: error: Rollback not confirmed; nothing was rolled back on sqlite:/);
    expect(no.code).toBe(1);
    expect(dumpSqlite(db)).toBe(before);
    // Ctrl-D: the end of input is a no too.
    const nothing = await runCliOnTerminal(args, { cwd: world.dir, env, input: '\x04' });
    expect(nothing.screen).toMatch(/Rollback not confirmed/);
    expect(nothing.code).toBe(1);
    expect(dumpSqlite(db)).toBe(before);
    const yes = await runCliOnTerminal(args, { cwd: world.dir, env, input: 'y\n' });
    expect(yes.screen).toMatch(/rolled back 2 migrations on sqlite:.*, newest first, to 1/);
    expect(yes.code).toBe(0);
    expect(tableNames(db)).not.toContain('orders');
  });

  it('T4.8 is refused before anything runs when a needed down script is missing', async () => {
    const db = freshDb();
    const { ['2_create_orders.down.sql']: _missing, ...noDown } = V2;
    const bundle = await world.bundle('rb-missing', noDown);
    await apply(bundle, db);
    await expectRefusal(
      db,
      () => world.cli(['rollback', '--yes', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--to', '0', '--json']),
      'DOWN_SCRIPT_MISSING',
      /Migration 2 \(create_orders\) has no down script, so nothing was rolled back/,
    );
  });
});
