/**
 * apply --backup on SQLite, through the CLI: the online backup taken after the checks and
 * before the first statement, private, recorded in the history and the audit log; restored
 * byte for byte into an empty file with the recorded fingerprint; a backup that cannot be
 * taken runs nothing; requireBackup refuses an apply without one.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf } from '../helpers/refusal.js';
import { writePolicy } from '../helpers/fixtures.js';
import { makeReleaseWorld, type ReleaseWorld } from '../helpers/release-world.js';

let world: ReleaseWorld;
let v1: string;
let v2: string;
let n = 0;
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const mode = (path: string) => statSync(path).mode & 0o777;
/** A database file without the header counters a backup renumbers. */
const withoutCounters = (bytes: Buffer): Buffer => {
  const copy = Buffer.from(bytes);
  copy.fill(0, 24, 28);
  copy.fill(0, 40, 44);
  copy.fill(0, 92, 96);
  return copy;
};
const USERS = { '1_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\nINSERT INTO users VALUES (1, \'a@example.com\');\n' };

beforeAll(async () => {
  world = await makeReleaseWorld();
  v1 = await world.bundle(USERS, { dialect: 'sqlite' });
  v2 = await world.bundle({ ...USERS, '2_orders.up.sql': 'CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));\nCREATE INDEX orders_user ON orders (user_id);\n' }, { dialect: 'sqlite', release: '2' });
});
afterAll(() => world.cleanup());

/** A database at release 1, and where its backups go. */
async function atRelease1(): Promise<{ db: string; dir: string }> {
  const db = join(world.dir, `backup-${++n}.db`);
  expect((await world.migseal(['apply', v1, '--trust', world.policy, '--db', `sqlite:${db}`])).code).toBe(0);
  return { db, dir: join(world.dir, `backups-${n}`) };
}

describe('apply --backup on SQLite', () => {
  it('backs up before the first statement: private file, recorded in the history and the audit log; restore gives the same bytes and the recorded fingerprint', async () => {
    const { db, dir } = await atRelease1();
    const before = readFileSync(db);
    const applied = await world.migseal(['apply', v2, '--trust', world.policy, '--db', `sqlite:${db}`, '--backup', dir, '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    const { backup } = JSON.parse(applied.stdout) as { backup: { path: string; bytes: number; sha256: string; fingerprintSha256: string } };
    expect(readdirSync(dir).sort()).toEqual([backup.path.slice(dir.length + 1), `${backup.path.slice(dir.length + 1)}.json`]);
    expect([mode(dir), mode(backup.path), mode(`${backup.path}.json`)]).toEqual([0o700, 0o600, 0o600]);
    expect(backup.bytes).toBe(statSync(backup.path).size);
    expect(backup.sha256).toBe(sha(backup.path));
    // The copy is the database as the run found it, at release 1: the same pages, byte for byte, except three counters
    // in the header that SQLite's backup writes anew for the new file (file change counter 24-27, schema cookie 40-43,
    // version-valid-for 92-95). A restore then gives the backup's bytes exactly.
    expect(withoutCounters(readFileSync(backup.path)).equals(withoutCounters(before))).toBe(true);
    expect(readFileSync(backup.path).equals(before)).toBe(false);
    const copy = new Database(backup.path, { readonly: true });
    expect(copy.prepare("SELECT name FROM sqlite_schema WHERE name = 'orders'").all()).toEqual([]);
    copy.close();
    // The run's history row and its started audit record name it.
    const live = new Database(db, { readonly: true });
    expect(live.prepare('SELECT path, bytes, sha256 FROM migseal_backups').all()).toEqual([{ path: backup.path, bytes: backup.bytes, sha256: backup.sha256 }]);
    live.close();
    const started = readFileSync(world.auditLog, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l)).filter((r) => r.outcome === 'started').at(-1);
    expect(started.backup).toMatchObject({ path: backup.path, bytes: backup.bytes, sha256: backup.sha256 });
    expect((await world.migseal(['history', '--db', `sqlite:${db}`])).code).toBe(0);

    const scratch = join(world.dir, `restored-${n}.db`);
    const restored = await world.migseal(['restore', backup.path, '--db', `sqlite:${scratch}`]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`its schema matches the fingerprint recorded when the backup was taken (sha256:${backup.fingerprintSha256.slice(0, 16)}`);
    expect(sha(scratch)).toBe(backup.sha256);
    // Its wait limit is checked before anything is read or written.
    const unwritten = join(world.dir, `unwritten-${n}.db`);
    const usage = await world.migseal(['restore', backup.path, '--db', `sqlite:${unwritten}`, '--pg-lock-timeout', '5', '--json']);
    expect([usage.code, codeOf(usage)]).toEqual([1, 'USAGE']);
    expect(JSON.parse(usage.stdout).message).toContain('--pg-lock-timeout takes');
    expect(existsSync(unwritten)).toBe(false);

    // Into a database that is not empty: refused, untouched.
    const applied2 = sha(db);
    const again = await world.migseal(['restore', backup.path, '--db', `sqlite:${db}`, '--json']);
    expect([again.code, codeOf(again)]).toEqual([2, 'RESTORE_TARGET_NOT_EMPTY']);
    expect(sha(db)).toBe(applied2);

    // A backup changed since it was taken is refused; one whose schema is not the recorded one restores with exit 2.
    const changed = join(world.dir, `changed-${n}.sqlite`);
    copyFileSync(backup.path, changed);
    writeFileSync(`${changed}.json`, readFileSync(`${backup.path}.json`));
    const edit = new Database(changed);
    edit.exec('CREATE TABLE sneaky (id INTEGER)');
    edit.close();
    const tampered = await world.migseal(['restore', changed, '--db', `sqlite:${join(world.dir, `t-${n}.db`)}`, '--json']);
    expect([tampered.code, codeOf(tampered)]).toEqual([2, 'BACKUP_INVALID']);
    const sidecar = JSON.parse(readFileSync(`${changed}.json`, 'utf8'));
    writeFileSync(`${changed}.json`, JSON.stringify({ ...sidecar, bytes: statSync(changed).size, sha256: sha(changed) }));
    const mismatch = await world.migseal(['restore', changed, '--db', `sqlite:${join(world.dir, `m-${n}.db`)}`]);
    expect(mismatch.code).toBe(2);
    const mismatchJson = await world.migseal(['restore', changed, '--db', `sqlite:${join(world.dir, `mj-${n}.db`)}`, '--json']);
    expect([mismatchJson.code, codeOf(mismatchJson)]).toEqual([2, 'RESTORE_MISMATCH']);
    expect(mismatch.stdout).toContain('but its schema is not the one recorded when the backup was taken');
    expect(mismatch.stdout).toContain('added    table sneaky');
  });

  it('a run that fails after its backup names the file in its message, --json and its failed audit record, as its started record does', async () => {
    const { db, dir } = await atRelease1();
    // Release 2 fails on this database: orders exists already.
    const live = new Database(db);
    live.exec('CREATE TABLE orders (id INTEGER)');
    live.close();
    const failed = await world.migseal(['apply', v2, '--trust', world.policy, '--db', `sqlite:${db}`, '--backup', dir, '--json']);
    expect([failed.code, codeOf(failed)]).toEqual([3, 'MIGRATION_FAILED']);
    const doc = JSON.parse(failed.stdout) as { message: string; details: { backup: { path: string; bytes: number; sha256: string } } };
    const { path } = doc.details.backup;
    expect(path.startsWith(join(dir, `backup-${n}-`))).toBe(true);
    expect(doc.details.backup).toEqual({ path, bytes: statSync(path).size, sha256: sha(path) });
    expect(doc.message).toMatch(/^Migration 2 \(orders\) failed: table orders already exists\. No migration was applied; its changes were rolled back\. The database was backed up first to (.*)\.$/);
    expect(doc.message.endsWith(`backed up first to ${path}.`)).toBe(true);
    const records = readFileSync(world.auditLog, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    const started = records.filter((r) => r.outcome === 'started').at(-1);
    const failedRecord = records.at(-1);
    expect(failedRecord).toMatchObject({ outcome: 'failed', code: 'MIGRATION_FAILED', backup: { path, bytes: doc.details.backup.bytes, sha256: doc.details.backup.sha256 } });
    const { runId: _runId, ...taken } = started.backup;
    expect(failedRecord.backup).toEqual(taken);
  });

  it('a backup that cannot be written runs nothing (exit 1, BACKUP_FAILED), the database unchanged', async () => {
    const { db } = await atRelease1();
    const before = sha(db);
    // A folder that cannot be made: inside a read-only folder, or (as root, who may write anywhere) inside a file.
    const parent = join(world.dir, `no-backups-${n}`);
    if (process.getuid?.() === 0) writeFileSync(parent, '');
    else mkdirSync(parent, { mode: 0o500 });
    const blocked = await world.migseal(['apply', v2, '--trust', world.policy, '--db', `sqlite:${db}`, '--backup', join(parent, 'inner'), '--json']);
    expect([blocked.code, codeOf(blocked)]).toEqual([1, 'BACKUP_FAILED']);
    expect(JSON.parse(blocked.stdout).message).toMatch(/^Cannot back up sqlite:.* before applying: cannot create a file in .*inner \((ENOTDIR|EACCES)\); nothing was run\.$/);
    expect(sha(db)).toBe(before);
    const audit = readFileSync(world.auditLog, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l)).at(-1);
    expect(audit).toMatchObject({ outcome: 'error', code: 'BACKUP_FAILED' });
  });

  it("the environment's requireBackup refuses an apply without --backup (exit 2, BACKUP_REQUIRED), before anything runs", async () => {
    const { db, dir } = await atRelease1();
    const keys = join(world.dir, `keys-backup-${n}`);
    mkdirSync(keys, { mode: 0o700 });
    copyFileSync(world.key.publicPath, join(keys, 'release.pub'));
    const policy = writePolicy(keys, { keys: [{ key: world.key, roles: ['release'] }], environments: { production: { release: 1, requireBackup: true } } });
    const before = sha(db);
    const refused = await world.migseal(['apply', v2, '--trust', policy, '--env', 'production', '--db', `sqlite:${db}`, '--json']);
    expect([refused.code, codeOf(refused)]).toEqual([2, 'BACKUP_REQUIRED']);
    expect(JSON.parse(refused.stdout).message).toBe('The trust policy requires a backup before every apply in environment "production" (requireBackup), and none was asked for; nothing was run. Run apply with --backup DIR.');
    expect(sha(db)).toBe(before);
    expect((await world.migseal(['apply', v2, '--trust', policy, '--env', 'production', '--db', `sqlite:${db}`, '--backup', dir])).code).toBe(0);
    expect(existsSync(dir)).toBe(true);
  });
});
