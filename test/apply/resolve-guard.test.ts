/**
 * resolve only resolves a migration left dirty (T4.13), and a failed run does not move the
 * database's release: through the CLI on SQLite, with the exit code, the error code, the
 * message and the database's state.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir } from '../helpers/fixtures.js';
import { codeOf, createWorld, dumpSqlite, rows, type RunnerWorld } from '../helpers/runner-world.js';

let world: RunnerWorld;
let n = 0;
const freshDb = () => join(world.dir, `db-${n++}.sqlite`);
beforeAll(() => {
  world = createWorld('migseal-resolve-');
});
afterAll(() => removeDir(world.dir));

const apply = (bundle: string, db: string) => world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--json']);
const resolve = (db: string, version: string, as: string, ...extra: string[]) =>
  world.cli(['resolve', '--db', `sqlite:${db}`, '--version', version, '--as', as, '--reason', 'the operator looked', ...extra]);
const lastAudit = () => JSON.parse(readFileSync(join(world.dir, 'audit.jsonl'), 'utf8').trim().split('\n').at(-1)!) as Record<string, unknown>;

/** A data migration: a credit paid twice is the double application the guard prevents. */
const CREDITS = {
  '1_accounts.up.sql': 'CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL);\nINSERT INTO accounts VALUES (1, 0);\n',
  '2_grant_credit.up.sql': 'UPDATE accounts SET balance = balance + 100 WHERE id = 1;\n',
};
const balance = (db: string) => rows(db, 'SELECT balance FROM accounts WHERE id = 1')[0]!.balance;

describe('resolve acts only on a dirty migration', () => {
  it('apply, resolve a clean migration, apply: refused, the credit is paid once', async () => {
    const db = freshDb();
    const bundle = await world.bundle('credits', CREDITS);
    expect((await apply(bundle, db)).code).toBe(0);
    expect(balance(db)).toBe(100);
    const before = dumpSqlite(db);
    const refused = await resolve(db, '2', 'rolled-back', '--json');
    expect(refused.code).toBe(2);
    expect(codeOf(refused)).toBe('MIGRATION_NOT_RESOLVABLE');
    expect(refused.stderr).toBe(
      `migseal: refused: Migration 2 (grant_credit) is applied on sqlite:${db}, not dirty: there is nothing to resolve. Recording it as rolled-back would mean apply will run migration 2 again: a data migration would take effect twice. If that is truly wanted, add --force (the reason is recorded as forced).\n`,
    );
    expect(dumpSqlite(db)).toBe(before);
    expect(lastAudit()).toMatchObject({ event: 'refusal', code: 'MIGRATION_NOT_RESOLVABLE', exitCode: 2 });
    const again = await apply(bundle, db);
    expect(JSON.parse(again.stdout)).toMatchObject({ upToDate: true, applied: [] });
    expect(balance(db)).toBe(100);

    // --as applied on an applied migration, and a rolled-back one: refused the same way.
    expect((await resolve(db, '1', 'applied')).code).toBe(2);
    expect(dumpSqlite(db)).toBe(before);
  });

  it('--force rewrites the record, says what apply will do next, and is recorded as forced', async () => {
    const db = freshDb();
    const bundle = await world.bundle('credits-forced', CREDITS);
    expect((await apply(bundle, db)).code).toBe(0);
    const forced = await resolve(db, '2', 'rolled-back', '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^FORCED: resolved migration 2 \(grant_credit\) on sqlite:.*: applied -> rolled-back, recorded as forced by .+@.+\nnext: apply will run migration 2 again\n$/);
    expect(rows(db, "SELECT reason FROM migseal_runs WHERE command = 'resolve'")[0]!.reason).toBe('FORCED 2 applied -> rolled-back: the operator looked');
    expect(String(rows(db, "SELECT note FROM migseal_migrations WHERE version = '2'")[0]!.note)).toMatch(/^forced: resolved as rolled-back by /);
    expect(lastAudit()).toMatchObject({ event: 'resolve', outcome: 'resolved', force: true, forced: true, from: 'applied' });
    // The operator asked for it: apply runs the migration again.
    expect(JSON.parse((await apply(bundle, db)).stdout).applied.map((a: { version: string }) => a.version)).toEqual(['2']);
    expect(balance(db)).toBe(200);
  });

  it('a migration with no record (it failed inside a transaction, or never ran) has nothing to resolve', async () => {
    const db = freshDb();
    expect((await apply(await world.bundle('one', { '1_accounts.up.sql': CREDITS['1_accounts.up.sql'] }), db)).code).toBe(0);
    const before = dumpSqlite(db);
    for (const extra of [[], ['--force']]) {
      const result = await resolve(db, '2', 'applied', '--json', ...extra);
      expect(result.code).toBe(2);
      expect(codeOf(result)).toBe('MIGRATION_NOT_RESOLVABLE');
      expect(result.stderr).toMatch(/has no record of migration 2, so there is nothing to resolve: a migration that failed inside a transaction was rolled back with it, and apply runs it again\./);
    }
    expect(dumpSqlite(db)).toBe(before);
  });
});

describe('a failed run does not move the release', () => {
  const R2 = { '1_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n', '2_orders.up.sql': 'CREATE TABLE orders (id INTEGER PRIMARY KEY);\n' };
  // Release 3: migration 3 applies; 4 commits part of its work itself, then fails (dirty).
  const R3 = { ...R2, '3_items.up.sql': 'CREATE TABLE items (id INTEGER PRIMARY KEY);\n', '4_audit.up.sql': 'BEGIN;\nCREATE TABLE audit_trail (id INTEGER);\nCOMMIT;\nINSERT INTO no_such_table VALUES (1);\n' };

  async function failedRelease3(): Promise<{ db: string; r2: string; r3: string }> {
    const db = freshDb();
    const r2 = await world.bundle(`r2-${n}`, R2, { release: '2' });
    const r3 = await world.bundle(`r3-${n}`, R3, { release: '3' });
    expect((await apply(r2, db)).code).toBe(0);
    const failed = await apply(r3, db);
    expect(failed.code).toBe(3);
    expect(codeOf(failed)).toBe('MIGRATION_FAILED');
    return { db, r2, r3 };
  }

  it('status, history and the audit report say release 2, and release 3: 1 of 2 applied, 1 dirty', async () => {
    const { db, r3 } = await failedRelease3();
    expect(rows(db, 'SELECT release FROM migseal_release')).toEqual([{ release: '2' }]);
    const status = await world.cli(['status', '--db', `sqlite:${db}`, '--bundle', r3, '--trust', world.policy]);
    expect(status.code).toBe(2);
    expect(status.stdout).toMatch(/^sqlite:.*: project shop, release 2 \(sqlite\)\n  partly      release 3: 1 of 2 applied, 1 dirty\n/);
    expect(status.stdout).toMatch(/\n  4 +audit +DIRTY +\S+ +\S+ +match\n/);
    expect(status.stdout).toContain('PROBLEM     migration 4 (audit) is dirty');
    const json = JSON.parse((await world.cli(['status', '--db', `sqlite:${db}`, '--bundle', r3, '--json'])).stdout);
    expect(json).toMatchObject({ ok: false, release: { release: '2' }, partial: { release: '3', applied: ['3'], dirty: ['4'], total: 2, text: 'release 3: 1 of 2 applied, 1 dirty' } });
    expect(json.migrations.map((m: { version: string; state: string }) => `${m.version}:${m.state}`)).toEqual(['1:applied', '2:applied', '3:applied', '4:dirty']);
    const history = await world.cli(['history', '--db', `sqlite:${db}`]);
    expect(history.stdout.split('\n')[0]).toMatch(/: project shop: release 2 \(sha256:[0-9a-f]{16}…\); release 3: partly applied \(1 applied, 1 dirty\)$/);
    const audit = await world.cli(['audit', r3, '--trust', world.policy, '--db', `sqlite:${db}`]);
    expect(audit.stdout).toContain('  release      release 2; release 3: 1 of 2 applied, 1 dirty\n');
  });

  it('what may be applied next: not release 2 again, not another bundle of release 3; release 3 after resolve, or a fixed release 4', async () => {
    const { db, r2, r3 } = await failedRelease3();
    // Dirty first: nothing runs until the operator resolves.
    expect(codeOf(await apply(r3, db))).toBe('DATABASE_DIRTY');
    const resolved = await resolve(db, '4', 'rolled-back');
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toContain('next: apply will run migration 4 again');
    const sqlite = new Database(db);
    sqlite.exec('DROP TABLE audit_trail');
    sqlite.close();
    const before = dumpSqlite(db);
    // The replay check knows release 3 was started here.
    const older = await apply(r2, db);
    expect(older.code).toBe(2);
    expect(older.stderr).toMatch(/Release 2 is older than release 3, partly applied to sqlite:.* \(release 3: partly applied \(1 applied\)\)\./);
    const twin = await apply(await world.bundle(`r3-twin-${n}`, { ...R3, '4_audit.up.sql': 'CREATE TABLE audit_trail (id INTEGER);\n' }, { release: '3' }), db);
    expect(twin.code).toBe(2);
    expect(codeOf(twin)).toBe('RELEASE_ROLLBACK');
    expect(twin.stderr).toMatch(/Release 3 was partly applied to sqlite:.* from another bundle \(sha256:[0-9a-f]{64}\); one release number names one bundle: fix it in a new release\./);
    expect(dumpSqlite(db)).toBe(before);
    // A fixed release 4 applies the rest and becomes the database's release.
    const r4 = await world.bundle(`r4-${n}`, { ...R3, '4_audit.up.sql': 'CREATE TABLE audit_trail (id INTEGER);\n' }, { release: '4' });
    const fixed = await apply(r4, db);
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.stdout).applied.map((a: { version: string }) => a.version)).toEqual(['4']);
    const status = JSON.parse((await world.cli(['status', '--db', `sqlite:${db}`, '--json'])).stdout);
    expect(status).toMatchObject({ ok: true, release: { release: '4' }, partial: null });
  });

  it('release 3 again after resolve completes it; a last migration resolved as applied completes it with nothing to run', async () => {
    const { db, r3 } = await failedRelease3();
    expect((await resolve(db, '4', 'applied')).code).toBe(0);
    const status = JSON.parse((await world.cli(['status', '--db', `sqlite:${db}`, '--json'])).stdout);
    expect(status).toMatchObject({ ok: true, release: { release: '2' }, partial: { release: '3', applied: ['3', '4'], dirty: [] } });
    const again = await apply(r3, db);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ upToDate: true, applied: [] });
    expect(rows(db, 'SELECT release FROM migseal_release')).toEqual([{ release: '3' }]);
    expect(JSON.parse((await world.cli(['status', '--db', `sqlite:${db}`, '--json'])).stdout)).toMatchObject({ release: { release: '3' }, partial: null });
  });
});

describe("resolve settles the peer table the bundle's signed manifest names", () => {
  // golang-migrate with x-migrations-table=app_migrations: migration 2 commits part of its work itself, then fails.
  const FILES = {
    '1_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n',
    '2_audit.up.sql': 'BEGIN;\nCREATE TABLE audit_trail (id INTEGER);\nCOMMIT;\nINSERT INTO no_such_table VALUES (1);\n',
  };

  it('a custom golang-migrate table left dirty is clean after resolve --bundle; another bundle is refused', async () => {
    const db = freshDb();
    const bundle = await world.bundle('custom-peer', FILES, { peerTable: 'app_migrations' });
    const failed = await apply(bundle, db);
    expect(failed.code).toBe(3);
    // The failure says how to settle the custom table too.
    expect(failed.stderr).toContain('is marked dirty until migseal resolve --version 2 (with --bundle BUNDLE --trust FILE, so that app_migrations is settled too).');
    expect(rows(db, 'SELECT version, dirty FROM app_migrations')).toEqual([{ version: 2, dirty: 1 }]);
    const before = dumpSqlite(db);
    // status says the same: the exact resolve with the bundle that ran it, or, without a bundle, when one is needed.
    const told = await world.cli(['status', '--db', `sqlite:${db}`, '--bundle', bundle, '--trust', world.policy, '--json']);
    expect(told.code).toBe(2);
    expect(JSON.parse(told.stdout).problems).toContain(
      `migration 2 (audit) is dirty: inspect the schema, then migseal resolve --version 2 --as applied|rolled-back --reason "..." --bundle ${bundle} --trust ${world.policy} (so that app_migrations is settled too)`,
    );
    // So does apply's refusal of the dirty database.
    const dirty = await apply(bundle, db);
    expect([dirty.code, codeOf(dirty)]).toEqual([2, 'DATABASE_DIRTY']);
    expect(dirty.stderr).toContain('then run migseal resolve --version 2 --as applied|rolled-back --reason "..." --bundle BUNDLE --trust FILE (the bundle that ran it, so that app_migrations is settled too).');
    const blind = await world.cli(['status', '--db', `sqlite:${db}`, '--json']);
    expect(blind.code).toBe(2);
    expect(JSON.parse(blind.stdout).problems).toContain(
      'migration 2 (audit) is dirty: inspect the schema, then migseal resolve --version 2 --as applied|rolled-back --reason "..." (with --bundle BUNDLE --trust FILE when its release keeps the peer tool\'s table under a custom name, so that table is settled too)',
    );
    expect(dumpSqlite(db)).toBe(before);

    const other = await world.bundle('custom-peer-other', FILES, { peerTable: 'app_migrations', release: '2' });
    const refused = await resolve(db, '2', 'rolled-back', '--bundle', other, '--trust', world.policy, '--json');
    expect(refused.code).toBe(2);
    expect(codeOf(refused)).toBe('MIGRATION_NOT_RESOLVABLE');
    expect(refused.stderr).toMatch(/^migseal: refused: Migration 2 was run by bundle sha256:[0-9a-f]{16}…, not by the one given \(sha256:[0-9a-f]{16}…\); give resolve the bundle that ran it\.\n$/);
    const unverified = await resolve(db, '2', 'rolled-back', '--bundle', bundle);
    expect(unverified.code).toBe(1);
    expect(unverified.stderr).toMatch(/--bundle needs --trust: resolve reads only a verified bundle\./);
    expect(dumpSqlite(db)).toBe(before);

    const resolved = await resolve(db, '2', 'rolled-back', '--bundle', bundle, '--trust', world.policy);
    expect(resolved.stderr).toBe('');
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toContain("peer table: golang-migrate's app_migrations settled as golang-migrate would\n");
    // migrate force 1: the version before the failed one, clean.
    expect(rows(db, 'SELECT version, dirty FROM app_migrations')).toEqual([{ version: 1, dirty: 0 }]);
    expect(rows(db, "SELECT state FROM migseal_migrations WHERE version = '2'")).toEqual([{ state: 'rolled-back' }]);
  });
});
