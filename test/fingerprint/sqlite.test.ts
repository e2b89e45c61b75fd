/**
 * The schema fingerprint on a real SQLite database: every kind of object it reads, the same
 * hash for the same schema built in another order, migseal's and the peer tools' tables left
 * out, and each change (a column added, a default changed, an index dropped) named.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteDriver } from '../../src/db/sqlite.js';
import { PEER_TABLES } from '../../src/apply/peer-tables.js';
import { canonicalFingerprint, compareFingerprints, parseFingerprint, readSchemaFingerprint } from '../../src/fingerprint/index.js';
import { PEER_TABLE_NAMES } from '../../src/fingerprint/excluded.js';
import { removeDir, tempDir } from '../helpers/fixtures.js';

const dir = tempDir('migseal-fingerprint-');
afterAll(() => removeDir(dir));

const SCHEMA = [
  'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, created TEXT DEFAULT CURRENT_TIMESTAMP)',
  'CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, total INTEGER CHECK (total >= 0))',
  'CREATE INDEX orders_user ON orders (user_id)',
  'CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100',
  "CREATE TRIGGER orders_audit AFTER INSERT ON orders BEGIN SELECT 1; END",
];

async function fingerprintOf(name: string, statements: string[]) {
  const driver = SqliteDriver.open(join(dir, name));
  try {
    for (const s of statements) await driver.exec(s);
    return await readSchemaFingerprint(driver);
  } finally {
    await driver.close();
  }
}

describe('schema fingerprint (SQLite)', () => {
  it('describes tables, columns, constraints, indexes, views and triggers, in canonical order', async () => {
    const fp = await fingerprintOf('a.db', SCHEMA);
    expect(fp.dialect).toBe('sqlite');
    expect(fp.sha256).toMatch(/^[0-9a-f]{64}$/);
    const labels = fp.objects.map((o) => `${o.kind} ${o.name}`);
    expect(labels).toEqual([
      'column orders.id',
      'column orders.total',
      'column orders.user_id',
      'column users.created',
      'column users.email',
      'column users.id',
      'constraint orders.foreign key (user_id)',
      'constraint users.unique (email)',
      'index orders_user',
      'table orders',
      'table users',
      'trigger orders.orders_audit',
      'view big_orders',
    ]);
    const byName = new Map(fp.objects.map((o) => [`${o.kind} ${o.name}`, o.definition]));
    expect(byName.get('column users.email')).toBe('TEXT NOT NULL');
    expect(byName.get('column users.created')).toBe('TEXT DEFAULT CURRENT_TIMESTAMP');
    expect(byName.get('constraint orders.foreign key (user_id)')).toBe('FOREIGN KEY (user_id) REFERENCES users (id) ON UPDATE NO ACTION ON DELETE CASCADE MATCH NONE');
  });

  it('gives the same hash for the same schema however it was built, and leaves migseal and peer tables out', async () => {
    const a = await fingerprintOf('b.db', SCHEMA);
    const b = await fingerprintOf('c.db', [
      ...[SCHEMA[0]!, SCHEMA[1]!, SCHEMA[4]!, SCHEMA[3]!, SCHEMA[2]!].map((s) => s.replace(/ /g, '\n  ')),
      'CREATE TABLE migseal_runs (x)',
      'CREATE TABLE schema_migrations (version TEXT)',
      'CREATE INDEX sm ON schema_migrations (version)',
    ]);
    expect(b.sha256).toBe(a.sha256);
    expect([...new Set(Object.values(PEER_TABLES))].sort()).toEqual(PEER_TABLE_NAMES);
    expect(compareFingerprints(a, b)).toEqual({ added: [], removed: [], changed: [] });
  });

  it('names each change: a column added, a default changed, an index dropped', async () => {
    const before = await fingerprintOf('d.db', SCHEMA);
    const after = await fingerprintOf('e.db', [
      ...SCHEMA.slice(0, 2).map((s) => s.replace('DEFAULT CURRENT_TIMESTAMP', "DEFAULT 'never'")),
      ...SCHEMA.slice(3),
      'ALTER TABLE users ADD COLUMN admin INTEGER',
    ]);
    expect(after.sha256).not.toBe(before.sha256);
    const diff = compareFingerprints(before, after);
    expect(diff.added.map((o) => `${o.kind} ${o.name}`)).toEqual(['column users.admin']);
    expect(diff.removed.map((o) => `${o.kind} ${o.name}`)).toEqual(['index orders_user']);
    expect(diff.changed.map((o) => [o.kind, o.name, o.before, o.after])).toContainEqual(['column', 'users.created', 'TEXT DEFAULT CURRENT_TIMESTAMP', "TEXT DEFAULT 'never'"]);
    // The table's text changed only where those columns are written: the columns say it, the table is not named again.
    expect(diff.changed.map((o) => `${o.kind} ${o.name}`)).toEqual(['column users.created']);
  });

  const USERS = 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, created TEXT DEFAULT CURRENT_TIMESTAMP)';
  let databases = 0;
  it.each<[title: string, after: string[], named: string[]]>([
    ['ADD COLUMN is the column added, not the table changed too', [USERS, 'ALTER TABLE users ADD COLUMN nickname TEXT'], ['added column users.nickname']],
    ['ADD COLUMN with NOT NULL and a default, which the column describes', [USERS, 'ALTER TABLE users ADD COLUMN score INTEGER NOT NULL DEFAULT (0)'], ['added column users.score']],
    ['ADD COLUMN with a COLLATE and a CHECK, which the column does not describe: both', [USERS, 'ALTER TABLE users ADD COLUMN note TEXT COLLATE NOCASE CHECK (length(note) < 100)'], ['added column users.note', 'changed table users']],
    ['DROP COLUMN is the column removed', [USERS, 'ALTER TABLE users DROP COLUMN created'], ['removed column users.created']],
    ['RENAME COLUMN is one column removed and one added', [USERS, 'ALTER TABLE users RENAME COLUMN created TO "made at"'], ['added column users.made at', 'removed column users.created']],
    ['a table constraint added with a column: both', [USERS.replace(')', ', nickname TEXT, CHECK (length(email) > 3))')], ['added column users.nickname', 'changed table users']],
    ['WITHOUT ROWID: the table', [`${USERS.replace('id INTEGER PRIMARY KEY', 'id TEXT PRIMARY KEY')} WITHOUT ROWID`], ['added constraint users.primary key (id)', 'changed column users.id', 'changed table users']],
    ['STRICT with a column added: both', [`${USERS.replace(')', ', nickname TEXT)')} STRICT`], ['added column users.nickname', 'changed table users']],
    ['a COLLATE, which the column does not describe, with a column added: both', [USERS.replace('email TEXT NOT NULL', 'email TEXT NOT NULL COLLATE NOCASE').replace(')', ', nickname TEXT)')], ['added column users.nickname', 'changed table users']],
    ['the same columns in another order: the table', ['CREATE TABLE users (id INTEGER PRIMARY KEY, created TEXT DEFAULT CURRENT_TIMESTAMP, email TEXT NOT NULL)'], ['changed table users']],
  ])('on SQLite, %s', async (_title, after, named) => {
    const before = await fingerprintOf(`alter-${++databases}.db`, [USERS]);
    const now = await fingerprintOf(`alter-${++databases}.db`, after);
    const diff = compareFingerprints(before, now);
    const labels = [...diff.added.map((o) => `added ${o.kind} ${o.name}`), ...diff.removed.map((o) => `removed ${o.kind} ${o.name}`), ...diff.changed.map((o) => `changed ${o.kind} ${o.name}`)];
    expect(labels).toEqual(named);
    // The fingerprint still covers the table's text: the hash differs however the report names it.
    expect(now.sha256).not.toBe(before.sha256);
    expect(now.objects.find((o) => o.kind === 'table')?.definition).not.toBe(before.objects.find((o) => o.kind === 'table')?.definition);
  });
});

describe('a fingerprint kept as canonical JSON', () => {
  it('reads back to the same objects and hash, and not when the text was changed', async () => {
    const fp = await fingerprintOf('f.db', SCHEMA);
    const text = canonicalFingerprint(fp);
    expect(parseFingerprint(text, fp.sha256)).toEqual(fp);
    expect(parseFingerprint(text.replace('TEXT NOT NULL', 'TEXT'), fp.sha256)).toBeUndefined();
    expect(parseFingerprint('{"dialect":"mysql","objects":[]}')).toBeUndefined();
  });
});
