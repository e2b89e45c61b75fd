/**
 * The approval gate on SQLite: an insider with the release key writes a migration so that
 * what it does hides from the analysis. Each bundle is packed and signed for real and run
 * through the CLI against a real database file, with a policy that refuses the finding:
 * exit 2, the code and the rule in the message, and the database (schema, data, migseal's
 * history) unchanged, with no file written beside it. Threats T5.1-T5.6 and T5.10 in
 * docs/threats.md.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { encodeBundle } from '../../src/format/bundle-encode.js';
import { parseManifest, serializeManifest } from '../../src/format/manifest.js';
import { sha256Hex } from '../../src/format/digest.js';
import { signManifest } from '../../src/signing/sign-manifest.js';
import { writePolicy } from '../helpers/fixtures.js';
import { makeReleaseWorld, type ReleaseWorld } from '../helpers/release-world.js';

let world: ReleaseWorld;
let strict: string;
let n = 0;

beforeAll(async () => {
  world = await makeReleaseWorld();
  const dir = join(world.dir, 'keys-strict');
  mkdirSync(dir, { mode: 0o700 });
  copyFileSync(world.key.publicPath, join(dir, 'release.pub'));
  const findings = { category: { destructive: 'refuse', 'outside-schema': 'refuse', parse: 'refuse' } };
  strict = writePolicy(dir, { keys: [{ key: world.key, roles: ['release'] }], environments: { default: { release: 1, findings } } });
});
afterAll(() => world.cleanup());

const BASE = {
  '1_accounts.up.sql': "CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL);\nINSERT INTO accounts VALUES (1, 'alice');\n",
  '1_accounts.down.sql': 'DROP TABLE accounts;\n',
};

/** Every table's definition and rows, migseal's history included. */
function dump(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const objects = db.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").all() as Array<{ type: string; name: string }>;
    const data = objects.filter((o) => o.type === 'table').map((o) => [o.name, db.prepare(`SELECT * FROM "${o.name}"`).all()]);
    return JSON.stringify({ objects, data });
  } finally {
    db.close();
  }
}

/** A database with release 1 applied, so migseal's history exists. */
async function appliedDatabase(): Promise<string> {
  const folder = join(world.dir, `db-${++n}`);
  mkdirSync(folder);
  const db = join(folder, 'app.sqlite');
  const first = await world.bundle(BASE, { release: '1' });
  const applied = await world.migseal(['apply', first, '--trust', strict, '--db', `sqlite:${db}`]);
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
  return db;
}

async function expectRefused(db: string, command: string[], code: string, message: RegExp): Promise<void> {
  const before = dump(db);
  const files = readdirSync(join(db, '..')).sort();
  const result = await world.migseal([...command, '--json']);
  expect(result.code).toBe(2);
  expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, code });
  expect(result.stderr).toMatch(message);
  expect(dump(db)).toBe(before);
  expect(readdirSync(join(db, '..')).sort()).toEqual(files);
}

/** Release 2 = release 1 plus `migration`, packed and signed with the real release key, applied with the strict policy. */
async function attack(migration: string, rule: string, dialect: 'sqlite' | undefined = 'sqlite'): Promise<void> {
  const db = await appliedDatabase();
  const bundle = await world.bundle({ ...BASE, '2_hidden.up.sql': migration }, { release: '2', ...(dialect && { dialect }) });
  const ruleText = rule.replace(/[/.]/g, (c) => `\\${c}`);
  await expectRefused(db, ['apply', bundle, '--trust', strict, '--db', `sqlite:${db}`], 'FINDINGS_NOT_ALLOWED', new RegExp(`refuses ${ruleText} at 2_hidden\\.up\\.sql line \\d+`));
}

describe('T5.1 analysed in the dialect that runs it', () => {
  it('DROP TABLE after a nested comment: a comment to PostgreSQL, a statement to SQLite, in a bundle marked "any"', () =>
    attack('/* outer /* inner */ DROP TABLE accounts; -- */\nSELECT 1;\n', 'destructive/drop-table', undefined));

  it('an old bundle marked any but analysed as PostgreSQL only is refused on SQLite (ANALYSIS_MISSING)', async () => {
    const db = await appliedDatabase();
    const packed = await world.bundle({ ...BASE, '2_hidden.up.sql': '/* a /* b */ DROP TABLE accounts; -- */\n' }, { release: '2' });
    // What a bundle packed before per-dialect analysis looks like: one analysis, PostgreSQL's, signed.
    const contents = await decodeBundle(readFileSync(packed));
    const manifest = parseManifest(contents.manifestBytes);
    const old = { ...manifest, analysis: { tool: 'migseal-lint/1', dialect: 'postgres' }, findings: manifest.findings.filter((f) => f.dialect === 'postgres' && f.direction !== 'down').map(({ dialect: _d, ...f }) => f) };
    const manifestBytes = serializeManifest(old);
    const signature = await signManifest(sha256Hex(manifestBytes), { role: 'release', project: 'shop', release: '2' }, world.key.signer);
    const path = join(world.dir, 'old-any.migseal');
    writeFileSync(path, encodeBundle({ manifestBytes, files: contents.files, signatures: [signature] }));
    await expectRefused(db, ['apply', path, '--trust', strict, '--db', `sqlite:${db}`], 'ANALYSIS_MISSING', /analysed as postgres only, so no finding says what its scripts do on sqlite/);
  });
});

/** Each row: what the test shows, release 2's hidden migration, and the rule that must refuse it. */
type Attack = [title: string, migration: string, rule: string];

describe('T5.3 code that runs later: SQLite trigger bodies', () => {
  it.each<Attack>([
    ['DELETE without WHERE in a trigger body', 'CREATE TABLE logins (id INTEGER);\nCREATE TRIGGER wipe AFTER INSERT ON logins BEGIN DELETE FROM accounts; END;\n', 'destructive/delete-without-where'],
    ['DROP is not allowed in a trigger, but UPDATE without WHERE in one is found', "CREATE TRIGGER steal AFTER UPDATE ON accounts BEGIN UPDATE accounts SET owner = 'mallory'; END;\n", 'destructive/update-without-where'],
    ['load_extension called from a trigger body', "CREATE TRIGGER ext AFTER INSERT ON accounts BEGIN SELECT load_extension('/tmp/evil.so'); END;\n", 'outside-schema/load-extension'],
  ])('%s', (_title, migration, rule) => attack(migration, rule));
});

describe('T5.5 SQLite writes outside the database', () => {
  it.each<Attack>([
    ['VACUUM INTO a file beside the database', "VACUUM INTO 'copy.sqlite';\n", 'outside-schema/vacuum-into'],
    ['ATTACH with the file name built by a string expression', "ATTACH 'other' || '.sqlite' AS other;\n", 'outside-schema/attach'],
    ['ATTACH in lower case behind a comment and a quoted schema name', "/* harmless */ attach database 'x.sqlite' as \"x\";\n", 'outside-schema/attach'],
    ['a virtual table over a module that reads files', 'CREATE VIRTUAL TABLE files USING fsdir;\n', 'outside-schema/file-access'],
    ['PRAGMA temp_store_directory pointing at another folder', "PRAGMA temp_store_directory = '/tmp';\n", 'outside-schema/file-access'],
  ])('%s', (_title, migration, rule) => attack(migration, rule));
});

describe("T5.10 migseal's own history tables", () => {
  it.each<Attack>([
    ['a temporary table named like migseal_migrations, which SQLite would find first', 'CREATE TEMP TABLE migseal_migrations (migration_key TEXT);\n', 'outside-schema/history-tables'],
    ['a trigger on migseal_runs', 'CREATE TRIGGER hide BEFORE INSERT ON main.migseal_runs BEGIN SELECT RAISE(IGNORE); END;\n', 'outside-schema/history-tables'],
    ['a write to migseal_migrations through a quoted name', "DELETE FROM \"migseal_migrations\" WHERE version = '1';\n", 'outside-schema/history-tables'],
  ])('%s', (_title, migration, rule) => attack(migration, rule));
});

describe('T5.6 down scripts are judged before the first one runs', () => {
  it('ATTACH in a down script refuses the rollback; the table and its history stay', async () => {
    const folder = join(world.dir, `db-${++n}`);
    mkdirSync(folder);
    const db = join(folder, 'app.sqlite');
    const files = { ...BASE, '2_notes.up.sql': 'CREATE TABLE notes (id INTEGER);\n', '2_notes.down.sql': "ATTACH 'x.sqlite' AS x;\nDROP TABLE notes;\n" };
    const bundle = await world.bundle(files, { release: '1', dialect: 'sqlite' });
    const applied = await world.migseal(['apply', bundle, '--trust', strict, '--db', `sqlite:${db}`]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    await expectRefused(db, ['rollback', '--yes', bundle, '--trust', strict, '--db', `sqlite:${db}`, '--to', '1'], 'FINDINGS_NOT_ALLOWED', /refuses outside-schema\/attach at 2_notes\.down\.sql line 1 \(a down script\)/);
    expect(existsSync(join(folder, 'x.sqlite'))).toBe(false);
  });

  it('a bundle whose analysis did not read its down scripts is refused by rollback (ANALYSIS_MISSING)', async () => {
    const folder = join(world.dir, `db-${++n}`);
    mkdirSync(folder);
    const db = join(folder, 'app.sqlite');
    const packed = await world.bundle({ ...BASE, '2_notes.up.sql': 'CREATE TABLE notes (id INTEGER);\n', '2_notes.down.sql': 'DROP TABLE notes;\n' }, { release: '1', dialect: 'sqlite' });
    const contents = await decodeBundle(readFileSync(packed));
    const manifest = parseManifest(contents.manifestBytes);
    const old = { ...manifest, analysis: { tool: 'migseal-lint/1', dialect: 'sqlite' }, findings: manifest.findings.filter((f) => f.direction !== 'down') };
    const manifestBytes = serializeManifest(old);
    const signature = await signManifest(sha256Hex(manifestBytes), { role: 'release', project: 'shop', release: '1' }, world.key.signer);
    const path = join(world.dir, 'old-down.migseal');
    writeFileSync(path, encodeBundle({ manifestBytes, files: contents.files, signatures: [signature] }));
    const applied = await world.migseal(['apply', path, '--trust', strict, '--db', `sqlite:${db}`]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    await expectRefused(db, ['rollback', '--yes', path, '--trust', strict, '--db', `sqlite:${db}`, '--to', '1'], 'ANALYSIS_MISSING', /did not read its down scripts/);
  });
});
