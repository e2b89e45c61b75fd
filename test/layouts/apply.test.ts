/**
 * Each layout's realistic folder, packed and signed with the CLI, applied by the runner to a
 * real SQLite database and a real PostgreSQL server, and the resulting schema checked. The
 * dbmate folder is also applied by dbmate itself, and the two schemas compared.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeKey, tempDir, writeMigrations, writePolicy } from '../helpers/fixtures.js';
import { startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import { atlasFolder, dbmateFolder, dieselFolder, flywayFolder, forSqlite, prismaFolder } from './folders.js';

const DBMATE = join(process.cwd(), '.tools/dbmate/bin/dbmate'); // installed by scripts/peer-tools.sh (npm test runs it)

let dir: string;
let policy: string;
let keyPath: string;
let approverPath: string;
let n = 0;
/** The bundle packAndApply applied last. */
let lastBundle = '';

beforeAll(() => {
  dir = tempDir('migseal-layout-apply-');
  const key = makeKey(dir, 'release');
  const approver = makeKey(dir, 'approver');
  keyPath = key.privatePath;
  approverPath = approver.privatePath;
  policy = writePolicy(dir, { keys: [{ key, roles: ['release'] }, { key: approver, roles: ['approve'] }] });
});

/** Bundles packed by the CLI, by the name of the folder's layout and dialect: a folder applied twice is packed once. */
const packed = new Map<string, string>();

/**
 * Packs `folder` with the CLI (once per `reuse` name), signs an approval when `approve` (destructive steps, such as
 * Prisma's DROP COLUMN, need one under the default policy), and applies it with the CLI.
 */
async function packAndApply(folder: string, db: string, { env = {}, approve = false, reuse }: { env?: Record<string, string>; approve?: boolean; reuse?: string } = {}): Promise<Array<{ version: string; mode: string }>> {
  let out = reuse === undefined ? undefined : packed.get(reuse);
  if (out === undefined) {
    out = join(dir, `b${n++}.migseal`);
    const result = await runCli(['pack', folder, '--project', 'shop', '--release', '1', '--key', keyPath, '--out', out]);
    expect(result.stderr).toBe('');
    if (approve) expect((await runCli(['sign', out, '--key', approverPath, '--role', 'approve'])).code).toBe(0);
    if (reuse !== undefined) packed.set(reuse, out);
  }
  lastBundle = out;
  const applied = await runCli(['apply', out, '--trust', policy, '--db', db, '--audit-log', join(dir, 'audit.jsonl'), '--json'], { env });
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
  return (JSON.parse(applied.stdout) as { applied: Array<{ version: string; mode: string }> }).applied;
}

/** Tables and indexes with their columns, leaving out each tool's bookkeeping tables. */
function sqliteSchema(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    const objects = db.prepare("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND tbl_name NOT LIKE 'migseal_%' AND tbl_name <> 'schema_migrations' ORDER BY type, name").all() as Array<{ type: string; name: string; tbl_name: string }>;
    return objects.map((o) => (o.type === 'table' ? `table ${o.name}(${(db.prepare(`PRAGMA table_info("${o.name}")`).all() as Array<{ name: string; type: string }>).map((c) => `${c.name} ${c.type}`).join(', ')})` : `${o.type} ${o.name} on ${o.tbl_name}`));
  } finally {
    db.close();
  }
}

describe('layouts applied to SQLite', () => {
  it('Diesel: every migration, metadata.toml deciding the transaction', async () => {
    const db = join(dir, 'diesel.sqlite');
    const applied = await packAndApply(forSqlite(dieselFolder()), `sqlite:${db}`);
    expect(applied).toHaveLength(11);
    expect(applied.find((a) => a.version === '201604010000000000')!.mode).not.toBe('transaction');
    expect(sqliteSchema(db)).toEqual(expect.arrayContaining(['table posts(id INTEGER, user_id INTEGER, title TEXT, published BOOLEAN)', 'index posts_user_id on posts', 'table countries(code TEXT, name TEXT)']));
  });

  it('Flyway: versioned in dotted order, then repeatables', async () => {
    const db = join(dir, 'flyway.sqlite');
    const applied = await packAndApply(forSqlite(flywayFolder()), `sqlite:${db}`);
    expect(applied.map((a) => a.version)).toEqual(['1', '1.1', '1.2', '1.3', '1.10', '2', '2.0.1', '9', '10', '11', 'R', 'R']);
    expect(sqliteSchema(db)).toEqual(expect.arrayContaining(['table orders(id INTEGER, user_id INTEGER, total INTEGER, status TEXT)', 'view active_users on active_users', 'view order_totals on order_totals']));
  });

  it('Atlas: txmode none runs outside a transaction (VACUUM would fail inside one)', async () => {
    const db = join(dir, 'atlas.sqlite');
    const applied = await packAndApply(forSqlite(atlasFolder()), `sqlite:${db}`);
    expect(applied).toHaveLength(11);
    expect(sqliteSchema(db)).toEqual(expect.arrayContaining(['table users(id INTEGER, email TEXT, name TEXT)', 'index orders_user on orders', 'table settings(key TEXT, value TEXT)']));
  });

  it('golang-migrate: a version with only a down file applies as an empty up and rolls back through its down', async () => {
    const folder = writeMigrations(tempDir('migseal-gm-down-only-'), {
      '1_a.up.sql': 'CREATE TABLE a (id INTEGER);\n',
      '1_a.down.sql': 'DROP TABLE a;\n',
      '2_legacy.down.sql': 'CREATE TABLE legacy (id INTEGER);\n',
      '3_c.up.sql': 'CREATE TABLE c (id INTEGER);\n',
      '3_c.down.sql': 'DROP TABLE c;\n',
    });
    const db = join(dir, 'gm-down-only.sqlite');
    const applied = await packAndApply(folder, `sqlite:${db}`);
    expect(applied.map((a) => a.version)).toEqual(['1', '2', '3']);
    const read = (sql: string) => {
      const d = new Database(db, { readonly: true });
      try {
        return d.prepare(sql).all();
      } finally {
        d.close();
      }
    };
    // golang-migrate passes version 2 with an empty up and records each version it reaches: (3, clean) at the end.
    expect(read('SELECT version, dirty FROM schema_migrations')).toEqual([{ version: 3, dirty: 0 }]);
    expect(read("SELECT state, checksum, note FROM migseal_migrations WHERE version = '2'")).toEqual([
      { state: 'applied', checksum: createHash('sha256').update('').digest('hex'), note: 'empty up: this version has only a down script' },
    ]);
    expect(sqliteSchema(db)).toEqual(['table a(id INTEGER)', 'table c(id INTEGER)']);
    const back = await runCli(['rollback', '--yes', lastBundle, '--trust', policy, '--db', `sqlite:${db}`, '--to', '1', '--audit-log', join(dir, 'audit.jsonl'), '--json']);
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    expect(sqliteSchema(db)).toEqual(['table a(id INTEGER)', 'table legacy(id INTEGER)']);
    expect(read('SELECT version, dirty FROM schema_migrations')).toEqual([{ version: 1, dirty: 0 }]);
  });

  it('dbmate: the same schema as dbmate itself builds from the same folder', async () => {
    const folder = dbmateFolder();
    const ours = join(dir, 'dbmate-migseal.sqlite');
    const applied = await packAndApply(folder, `sqlite:${ours}`);
    expect(applied.map((a) => a.mode)).toContain('transaction');
    const theirs = join(dir, 'dbmate-dbmate.sqlite');
    const run = spawnSync(DBMATE, ['--url', `sqlite:${theirs}`, '--migrations-dir', folder, '--no-dump-schema', 'up'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Applying: 20240101000011_audit_index.sql');
    const schema = sqliteSchema(ours);
    expect(schema).toEqual(sqliteSchema(theirs));
    expect(schema).toContain("table orders(id INTEGER, user_id INTEGER, total INTEGER, status TEXT)");
    const rows = (path: string) => new Database(path, { readonly: true }).prepare('SELECT * FROM products').all();
    expect(rows(ours)).toEqual(rows(theirs));

    // Down blocks too: three steps back with each tool, the same schema again.
    const back = await runCli(['rollback', '--yes', lastBundle, '--trust', policy, '--db', `sqlite:${ours}`, '--to', '20240101000008', '--audit-log', join(dir, 'audit.jsonl'), '--json']);
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    for (let i = 0; i < 3; i++) expect(spawnSync(DBMATE, ['--url', `sqlite:${theirs}`, '--migrations-dir', folder, '--no-dump-schema', 'rollback'], { encoding: 'utf8' }).status).toBe(0);
    expect(sqliteSchema(ours)).toEqual(sqliteSchema(theirs));
    expect(sqliteSchema(ours).join('\n')).not.toContain('audit');
  });
});

describe('layouts applied to PostgreSQL', () => {
  let pg: PostgresCluster;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  const columns = (db: string, table: string): Promise<string> =>
    pg.psql(`SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = '${table}'`, db);
  const indexes = (db: string): Promise<string> => pg.psql("SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'", db);

  it('Prisma: CREATE INDEX CONCURRENTLY outside a transaction, enum values added', async () => {
    const url = await pg.createDatabase('prisma');
    const applied = await packAndApply(prismaFolder(), url, { approve: true });
    expect(applied).toHaveLength(11);
    expect((await columns('prisma', 'Post')).trim()).toBe('id integer, title text, authorId integer, published boolean');
    expect(await indexes('prisma')).toContain('Post_title_idx');
    expect((await pg.psql("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum", 'prisma')).trim()).toBe('USER,ADMIN,EDITOR');
  });

  it('Diesel, Flyway, Atlas and dbmate folders', async () => {
    for (const [name, folder] of [['diesel', dieselFolder()], ['flyway', flywayFolder()], ['atlas', atlasFolder()], ['dbmate', dbmateFolder()]] as const) {
      const url = await pg.createDatabase(name);
      const applied = await packAndApply(folder, url, { reuse: `${name}-postgres` });
      expect(applied.length, name).toBeGreaterThanOrEqual(11);
    }
    expect(await indexes('diesel')).toContain('posts_user_id');
    expect((await columns('flyway', 'orders')).trim()).toBe('id integer, user_id integer, total integer, status text');
    expect((await pg.psql("SELECT count(*) FROM pg_views WHERE schemaname = 'public'", 'flyway')).trim()).toBe('2');
    expect(await indexes('atlas')).toContain('orders_user');
    expect((await columns('dbmate', 'users')).trim()).toBe('id integer, email text, name text');
    // Eight CLI processes (four packs, four applies): more than the default 60 s on a busy machine.
  }, 180_000);

  it('dbmate on PostgreSQL: the same schema as dbmate itself builds', async () => {
    const folder = dbmateFolder();
    const ours = await pg.createDatabase('dbmate_ours');
    await packAndApply(folder, ours, { reuse: 'dbmate-postgres' });
    const theirs = await pg.createDatabase('dbmate_theirs');
    const url = `${theirs}${theirs.includes('?') ? '&' : '?'}sslmode=disable`;
    const run = spawnSync(DBMATE, ['--url', url, '--migrations-dir', folder, '--no-dump-schema', 'up'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const shape = (db: string) =>
      pg.psql(
        "SELECT string_agg(table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, ''), E'\\n' ORDER BY table_name, ordinal_position) FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE 'migseal_%' AND table_name <> 'schema_migrations'",
        db,
      );
    expect(await shape('dbmate_ours')).toBe(await shape('dbmate_theirs'));
    const userIndexes = (db: string) =>
      pg.psql("SELECT string_agg(indexdef, E'\\n' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE 'migseal_%' AND tablename <> 'schema_migrations'", db);
    expect(await userIndexes('dbmate_ours')).toBe(await userIndexes('dbmate_theirs'));
    expect(await userIndexes('dbmate_ours')).toContain('orders_user');
  });
});
