/**
 * Adopting databases other tools managed: each peer's history table created exactly as the tool
 * creates it (or by running dbmate itself), adopted, the rest applied, schemas compared with a
 * database migseal built from scratch. Refusals change nothing, the peer's table included.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOf, runCli } from '../helpers/cli.js';
import { makeKey, packBundle, tempDir, writeMigrations, writePolicy, type TestKey } from '../helpers/fixtures.js';
import { dumpSqlite } from '../helpers/runner-world.js';
import { startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import { flywayChecksum } from '../../src/peer-history/flyway-checksum.js';
import { dbmateFolder } from '../layouts/folders.js';

const DBMATE = join(process.cwd(), '.tools/dbmate/bin/dbmate'); // installed by scripts/peer-tools.sh (npm test runs it)
let dir: string;
let policy: string;
let release: TestKey;
let n = 0;

beforeAll(() => {
  dir = tempDir('migseal-adopt-');
  release = makeKey(dir, 'release');
  policy = writePolicy(dir, { keys: [{ key: release, roles: ['release'] }] });
});

/** Packs a folder with the library (test/pack covers the command): release 5 of shop, signed by the release key. */
async function bundleOf(folder: string): Promise<string> {
  const out = join(dir, `b${n++}.migseal`);
  writeFileSync(out, await packBundle({ dir: folder, release: '5', signers: [{ signer: release.signer, role: 'release' }] }));
  return out;
}
const cli = (args: string[]) => runCli([...args, '--trust', policy, '--audit-log', join(dir, 'audit.jsonl'), '--json']);
const adopt = (bundle: string, db: string, from: string) => cli(['adopt', bundle, '--db', `sqlite:${db}`, '--from', from]);
const apply = (bundle: string, db: string) => cli(['apply', bundle, '--db', `sqlite:${db}`]);

/** User tables and their columns, without any tool's bookkeeping. */
function schema(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND tbl_name NOT LIKE 'migseal_%' AND tbl_name NOT IN ('schema_migrations', '_prisma_migrations', 'flyway_schema_history') ORDER BY name").all() as Array<{ name: string; sql: string }>).map((r) => `${r.name}: ${r.sql}`);
  } finally {
    db.close();
  }
}
function sql(path: string, text: string): void {
  const db = new Database(path);
  db.exec(text);
  db.close();
}

const GOLANG: Record<string, string> = {
  '1_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n',
  '1_users.down.sql': 'DROP TABLE users;\n',
  '2_orders.up.sql': 'CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL);\n',
  '3_orders_index.up.sql': 'CREATE INDEX orders_user ON orders (user_id);\n',
  '4_products.up.sql': 'CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT);\n',
  '5_users_name.up.sql': 'ALTER TABLE users ADD COLUMN name TEXT;\n',
};

describe('adopt --from golang-migrate', () => {
  function managed(version: number, dirty: boolean): string {
    const db = join(dir, `golang-${n++}.sqlite`);
    for (const v of [1, 2, 3].filter((x) => x <= version)) sql(db, GOLANG[Object.keys(GOLANG).find((k) => k.startsWith(`${v}_`) && k.endsWith('.up.sql'))!]!);
    sql(db, `CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (${version}, ${dirty ? 1 : 0});`);
    return db;
  }

  it('counts everything up to the current version as applied; apply runs the rest; same schema as a fresh run', async () => {
    const bundle = await bundleOf(writeMigrations(join(dir, 'golang'), GOLANG));
    const db = managed(3, false);
    const adopted = await adopt(bundle, db, 'golang-migrate');
    expect(adopted.stderr).toBe('');
    expect(jsonOf(adopted)).toMatchObject({ ok: true, adopted: [{ version: '1' }, { version: '2' }, { version: '3' }], pending: 2 });
    const applied = await apply(bundle, db);
    expect(jsonOf(applied).applied).toMatchObject([{ version: '4' }, { version: '5' }]);
    const fresh = join(dir, 'golang-fresh.sqlite');
    expect((await apply(bundle, fresh)).code).toBe(0);
    expect(schema(db)).toEqual(schema(fresh));
    const rows = new Database(db, { readonly: true }).prepare("SELECT migration_key, state FROM migseal_migrations ORDER BY migration_key").all();
    expect(rows).toEqual([{ migration_key: '1', state: 'adopted' }, { migration_key: '2', state: 'adopted' }, { migration_key: '3', state: 'adopted' }, { migration_key: '4', state: 'applied' }, { migration_key: '5', state: 'applied' }]);
    // The peer's table continues from where golang-migrate left it: one row, the current version.
    expect(new Database(db, { readonly: true }).prepare('SELECT * FROM schema_migrations').all()).toEqual([{ version: 5, dirty: 0 }]);
  });

  it('an empty peer table: nothing adopted, the takeover recorded, and apply then runs every migration', async () => {
    const bundle = await bundleOf(writeMigrations(join(dir, 'golang-e'), GOLANG));
    const db = join(dir, `golang-${n++}.sqlite`);
    sql(db, 'CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null);');
    // Before the takeover apply refuses: the table says golang-migrate manages the database.
    expect(jsonOf(await apply(bundle, db))).toMatchObject({ ok: false, code: 'MANAGED_BY_ANOTHER_TOOL' });
    const adopted = await adopt(bundle, db, 'golang-migrate');
    expect(adopted.code).toBe(0);
    expect(jsonOf(adopted)).toMatchObject({ ok: true, adopted: [], alreadyRecorded: 0, pending: 5 });
    const text = await runCli(['adopt', bundle, '--db', `sqlite:${db}`, '--from', 'golang-migrate', '--trust', policy, '--audit-log', join(dir, 'audit.jsonl')]);
    expect(text.stdout).toMatch(/golang-migrate's history in sqlite:.* records no migration: nothing adopted; the takeover is recorded, so migseal apply runs all 5\n/);
    // The bundle keeps golang-migrate's table: adopt leaves it, apply writes it (below).
    expect(text.stdout).toContain("golang-migrate's table schema_migrations is as it was: adopt only read it; this bundle keeps it, so apply, rollback and resolve write it in step with each migration, as golang-migrate would.\n");
    const history = new Database(db, { readonly: true });
    expect(history.prepare("SELECT outcome, reason FROM migseal_runs").all()).toEqual([{ outcome: 'succeeded', reason: 'adopt --from golang-migrate: schema_migrations records no migration, nothing adopted' }]);
    expect(history.prepare('SELECT count(*) AS n FROM migseal_release').get()).toEqual({ n: 0 });
    history.close();
    const applied = await apply(bundle, db);
    expect(applied.code).toBe(0);
    expect(jsonOf(applied).applied).toMatchObject([{ version: '1' }, { version: '2' }, { version: '3' }, { version: '4' }, { version: '5' }]);
    expect(new Database(db, { readonly: true }).prepare('SELECT * FROM schema_migrations').all()).toEqual([{ version: 5, dirty: 0 }]);
  });

  it('refuses a dirty database and changes nothing', async () => {
    const bundle = await bundleOf(writeMigrations(join(dir, 'golang-d'), GOLANG));
    const db = managed(2, true);
    const before = dumpSqlite(db);
    const r = await adopt(bundle, db, 'golang-migrate');
    expect(r.code).toBe(2);
    expect(jsonOf(r)).toMatchObject({ code: 'DATABASE_DIRTY' });
    expect(dumpSqlite(db)).toBe(before);
  });

  it('refuses a version the bundle does not contain', async () => {
    const bundle = await bundleOf(writeMigrations(join(dir, 'golang-u'), GOLANG));
    const db = managed(3, false);
    sql(db, 'UPDATE schema_migrations SET version = 7');
    const before = dumpSqlite(db);
    const r = await adopt(bundle, db, 'golang-migrate');
    expect(jsonOf(r)).toMatchObject({ code: 'MIGRATION_UNKNOWN_APPLIED' });
    expect(dumpSqlite(db)).toBe(before);
  });
});

describe('adopt --from dbmate (dbmate itself applied the first migrations)', () => {
  it('adopts what dbmate applied, applies the rest, and ends with the schema dbmate builds', async () => {
    const full = dbmateFolder();
    const partial = tempDir('migseal-dbmate-partial-');
    for (const f of readdirSync(full).filter((f) => f < '20240101000007')) cpSync(join(full, f), join(partial, f));
    const db = join(dir, 'dbmate.sqlite');
    const run = (folder: string, path: string) => spawnSync(DBMATE, ['--url', `sqlite:${path}`, '--migrations-dir', folder, '--no-dump-schema', 'up'], { encoding: 'utf8' });
    expect(run(partial, db).status).toBe(0);
    const bundle = await bundleOf(full);
    const adopted = await adopt(bundle, db, 'dbmate');
    expect(adopted.stderr).toBe('');
    expect((jsonOf(adopted).adopted as unknown[]).length).toBe(6);
    expect(jsonOf(await apply(bundle, db)).applied).toHaveLength(5);
    const theirs = join(dir, 'dbmate-all.sqlite');
    expect(run(full, theirs).status).toBe(0);
    expect(schema(db)).toEqual(schema(theirs));
  });

  it('refuses when dbmate applied a migration the bundle lacks', async () => {
    const full = dbmateFolder();
    const db = join(dir, 'dbmate-extra.sqlite');
    sql(db, "CREATE TABLE schema_migrations (version varchar(128) primary key); INSERT INTO schema_migrations VALUES ('20240101000001'), ('20990101000000');");
    const before = dumpSqlite(db);
    const r = await adopt(await bundleOf(full), db, 'dbmate');
    expect(jsonOf(r)).toMatchObject({ code: 'MIGRATION_UNKNOWN_APPLIED' });
    expect(String(jsonOf(r).message)).toContain('20990101000000');
    expect(dumpSqlite(db)).toBe(before);
  });
});

describe('adopt --from prisma', () => {
  const FILES = {
    'migration_lock.toml': 'provider = "sqlite"\n',
    '20240101000000_init/migration.sql': 'CREATE TABLE "User" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "email" TEXT NOT NULL);\n',
    '20240102000000_posts/migration.sql': 'CREATE TABLE "Post" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL);\n',
    '20240103000000_email_index/migration.sql': 'CREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n',
  };
  const PRISMA_TABLE = 'CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME, "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0);';
  function managed(checksumOf: (name: string, sqlText: string) => string, finished = true): string {
    const db = join(dir, `prisma-${n++}.sqlite`);
    sql(db, PRISMA_TABLE);
    for (const name of ['20240101000000_init', '20240102000000_posts']) {
      const text = FILES[`${name}/migration.sql` as keyof typeof FILES];
      sql(db, text);
      const stmt = new Database(db);
      stmt.prepare('INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES (?, ?, ?, ?, 1)').run(`id-${name}`, checksumOf(name, text), finished ? '2024-01-05 00:00:00' : null, name);
      stmt.close();
    }
    return db;
  }
  const sha = (_: string, t: string) => createHash('sha256').update(t).digest('hex');

  it("checks Prisma's SHA-256 checksums, adopts, and apply runs the rest", async () => {
    const bundle = await bundleOf(writeMigrations(join(dir, 'prisma'), FILES));
    const db = managed(sha);
    expect(jsonOf(await adopt(bundle, db, 'prisma'))).toMatchObject({ adopted: [{ version: '20240101000000_init' }, { version: '20240102000000_posts' }], pending: 1 });
    expect(jsonOf(await apply(bundle, db)).applied).toMatchObject([{ version: '20240103000000_email_index' }]);
  });

  it('accepts what Prisma accepts (checksum.rs script_matches_checksum): the script checked out with CRLF, and an old unpadded checksum', async () => {
    const bundle = await bundleOf(writeMigrations(join(dir, 'prisma-crlf'), FILES));
    const crlf = managed((name, t) => (name.endsWith('init') ? sha(name, t.replace(/\n/g, '\r\n')) : sha(name, t)));
    expect(jsonOf(await adopt(bundle, crlf, 'prisma'))).toMatchObject({ pending: 1 });
    const unpadded = managed((name, t) => [...createHash('sha256').update(t).digest()].map((b) => b.toString(16)).join(''));
    expect(jsonOf(await adopt(bundle, unpadded, 'prisma'))).toMatchObject({ pending: 1 });
  });

  it('refuses a checksum that disagrees with the bundle, and an unfinished migration', async () => {
    const bundle = await bundleOf(writeMigrations(join(dir, 'prisma-r'), FILES));
    const edited = managed((name, t) => (name.endsWith('posts') ? sha(name, `${t}-- edited\n`) : sha(name, t)));
    const before = dumpSqlite(edited);
    const drift = await adopt(bundle, edited, 'prisma');
    expect(jsonOf(drift)).toMatchObject({ code: 'MIGRATION_DRIFT' });
    expect(String(jsonOf(drift).message)).toContain('20240102000000_posts');
    expect(dumpSqlite(edited)).toBe(before);
    const unfinished = managed(sha, false);
    expect(jsonOf(await adopt(bundle, unfinished, 'prisma'))).toMatchObject({ code: 'DATABASE_DIRTY' });
  });
});

describe('adopt --from flyway', () => {
  const FILES = {
    'V1__users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY);\r\n',
    'V1.1__orders.sql': 'CREATE TABLE orders (id INTEGER PRIMARY KEY);\n',
    'V2__items.sql': 'CREATE TABLE items (id INTEGER PRIMARY KEY);\n',
    'R__user_ids.sql': 'DROP VIEW IF EXISTS user_ids;\nCREATE VIEW user_ids AS SELECT id FROM users;\n',
  };
  const HISTORY = 'CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL, installed_on TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, execution_time INT NOT NULL, success BOOLEAN NOT NULL);';

  function managed(success: boolean, tamper = false): string {
    const db = join(dir, `flyway-${n++}.sqlite`);
    sql(db, HISTORY);
    const rows: Array<[string | null, string, string]> = [['1', 'users', 'V1__users.sql'], ['1.1', 'orders', 'V1.1__orders.sql'], [null, 'user ids', 'R__user_ids.sql']];
    const h = new Database(db);
    rows.forEach(([version, description, script], i) => {
      const text = FILES[script as keyof typeof FILES];
      h.exec(text);
      const checksum = flywayChecksum(Buffer.from(tamper && script === 'V1.1__orders.sql' ? `${text}-- edited\n` : text));
      h.prepare('INSERT INTO flyway_schema_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(i + 1, version, description, 'SQL', script, checksum, 'flyway', '2024-01-01', 3, success || i < 1 ? 1 : 0);
    });
    h.close();
    return db;
  }

  it('matches Flyway versions and CRC32 checksums (line endings ignored), and repeatables by description', async () => {
    const bundle = await bundleOf(writeMigrations(join(dir, 'flyway'), FILES));
    const db = managed(true);
    expect(jsonOf(await adopt(bundle, db, 'flyway')).adopted).toEqual([{ version: '1', name: 'users' }, { version: '1.1', name: 'orders' }, { version: 'R', name: 'user ids' }]);
    expect(jsonOf(await apply(bundle, db)).applied).toMatchObject([{ version: '2' }]);
  });

  it('refuses success = false and a CRC32 that disagrees', async () => {
    const bundle = await bundleOf(writeMigrations(join(dir, 'flyway-r'), FILES));
    expect(jsonOf(await adopt(bundle, managed(false), 'flyway'))).toMatchObject({ code: 'DATABASE_DIRTY' });
    expect(jsonOf(await adopt(bundle, managed(true, true), 'flyway'))).toMatchObject({ code: 'MIGRATION_DRIFT' });
  });
});

describe('adopt usage', () => {
  it('needs --from naming a known tool, and a peer table to read', async () => {
    const bundle = await bundleOf(writeMigrations(join(dir, 'usage'), GOLANG));
    const db = join(dir, 'empty.sqlite');
    expect(jsonOf(await adopt(bundle, db, 'liquibase'))).toMatchObject({ code: 'USAGE' });
    const none = await adopt(bundle, db, 'diesel');
    expect(jsonOf(none)).toMatchObject({ code: 'MIGRATION_UNKNOWN_APPLIED' });
  });
});

describe('adopt --from diesel and --from doctrine', () => {
  it('Diesel: versions without dashes, as Diesel records them', async () => {
    const folder = writeMigrations(join(dir, 'diesel'), {
      '2015-12-19-180527_users/up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n',
      '2015-12-19-180527_users/down.sql': 'DROP TABLE users;\n',
      '20160101000000_posts/up.sql': 'CREATE TABLE posts (id INTEGER PRIMARY KEY);\n',
      '2016-02-01-000000_tags/up.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY);\n',
    });
    const db = join(dir, 'diesel.sqlite');
    sql(db, "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP); INSERT INTO __diesel_schema_migrations (version) VALUES ('20151219180527'), ('20160101000000'); CREATE TABLE users (id INTEGER PRIMARY KEY); CREATE TABLE posts (id INTEGER PRIMARY KEY);");
    const bundle = await bundleOf(folder);
    expect(jsonOf(await adopt(bundle, db, 'diesel'))).toMatchObject({ adopted: [{ version: '20151219180527' }, { version: '20160101000000' }], pending: 1 });
    expect(jsonOf(await apply(bundle, db)).applied).toMatchObject([{ version: '20160201000000' }]);
  });

  it('Doctrine: class names matched to versions; the rest stays for migseal exec', async () => {
    const php = (v: string) => `<?php\nnamespace DoctrineMigrations;\nfinal class Version${v} extends \\Doctrine\\Migrations\\AbstractMigration {}\n`;
    const folder = writeMigrations(join(dir, 'doctrine'), { 'Version20240101000000.php': php('20240101000000'), 'Version20240102000000.php': php('20240102000000') });
    const db = join(dir, 'doctrine.sqlite');
    sql(db, "CREATE TABLE doctrine_migration_versions (version VARCHAR(191) NOT NULL PRIMARY KEY, executed_at DATETIME DEFAULT NULL, execution_time INTEGER DEFAULT NULL); INSERT INTO doctrine_migration_versions VALUES ('DoctrineMigrations\\Version20240101000000', '2024-01-01 00:00:00', 12);");
    const bundle = await bundleOf(folder);
    expect(jsonOf(await adopt(bundle, db, 'doctrine'))).toMatchObject({ adopted: [{ version: '20240101000000' }], pending: 1, peerTable: { name: 'doctrine_migration_versions', kept: false } });
    sql(db, "INSERT INTO doctrine_migration_versions VALUES ('DoctrineMigrations\\Version20231231000000', NULL, NULL);");
    expect(jsonOf(await adopt(bundle, db, 'doctrine'))).toMatchObject({ code: 'MIGRATION_UNKNOWN_APPLIED' });
  });
});

describe('adopt on PostgreSQL', () => {
  let pg: PostgresCluster;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it('golang-migrate and Prisma tables as the tools create them', async () => {
    const golangUrl = await pg.createDatabase('golang');
    await pg.psql(`${GOLANG['1_users.up.sql']}${GOLANG['2_orders.up.sql']}CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (2, false);`, 'golang');
    const golang = await bundleOf(writeMigrations(join(dir, 'golang-pg'), GOLANG));
    expect(jsonOf(await cli(['adopt', golang, '--db', golangUrl, '--from', 'golang-migrate']))).toMatchObject({ adopted: [{ version: '1' }, { version: '2' }], pending: 3 });
    expect(jsonOf(await cli(['apply', golang, '--db', golangUrl])).applied).toHaveLength(3);
    expect((await pg.psql('SELECT version, dirty FROM schema_migrations', 'golang')).trim()).toBe('5|f');

    const prismaUrl = await pg.createDatabase('prisma');
    const files = { 'migration_lock.toml': 'provider = "postgresql"\n', '20240101000000_init/migration.sql': 'CREATE TABLE "User" ("id" SERIAL NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));\n', '20240102000000_post/migration.sql': 'CREATE TABLE "Post" ("id" SERIAL NOT NULL);\n' };
    const checksum = createHash('sha256').update(files['20240101000000_init/migration.sql']).digest('hex');
    await pg.psql(
      `${files['20240101000000_init/migration.sql']}CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0, CONSTRAINT "_prisma_migrations_pkey" PRIMARY KEY ("id")); INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ('a1', '${checksum}', now(), '20240101000000_init', 1);`,
      'prisma',
    );
    const prisma = await bundleOf(writeMigrations(join(dir, 'prisma-pg'), files));
    expect(jsonOf(await cli(['adopt', prisma, '--db', prismaUrl, '--from', 'prisma']))).toMatchObject({ adopted: [{ version: '20240101000000_init' }], pending: 1 });
    expect(jsonOf(await cli(['apply', prisma, '--db', prismaUrl])).applied).toMatchObject([{ version: '20240102000000_post' }]);
    // adopt continues from Prisma's table and apply keeps it going: the new migration gets its row.
    expect((await pg.psql("SELECT migration_name, applied_steps_count, finished_at IS NOT NULL FROM _prisma_migrations ORDER BY started_at", 'prisma')).trim()).toBe('20240101000000_init|1|t\n20240102000000_post|1|t');
  });

  it("an empty dbmate table on PostgreSQL: the takeover is recorded, and apply runs every migration and keeps dbmate's table", async () => {
    const url = await pg.createDatabase('dbmate_empty');
    await pg.psql('CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);', 'dbmate_empty');
    const bundle = await bundleOf(dbmateFolder());
    expect(jsonOf(await cli(['apply', bundle, '--db', url]))).toMatchObject({ ok: false, code: 'MANAGED_BY_ANOTHER_TOOL' });
    const adopted = await cli(['adopt', bundle, '--db', url, '--from', 'dbmate']);
    expect(adopted.code).toBe(0);
    expect(jsonOf(adopted)).toMatchObject({ ok: true, adopted: [] });
    expect((await pg.psql("SELECT reason FROM migseal.migseal_runs", 'dbmate_empty')).trim()).toBe('adopt --from dbmate: schema_migrations records no migration, nothing adopted');
    const applied = await cli(['apply', bundle, '--db', url]);
    expect(applied.code).toBe(0);
    expect((jsonOf(applied).applied as unknown[]).length).toBeGreaterThan(0);
    expect(Number((await pg.psql('SELECT count(*) FROM schema_migrations', 'dbmate_empty')).trim())).toBe((jsonOf(applied).applied as unknown[]).length);
  });

  it('refuses a dirty golang-migrate database on PostgreSQL', async () => {
    const url = await pg.createDatabase('golang_dirty');
    await pg.psql(`${GOLANG['1_users.up.sql']}CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (1, true);`, 'golang_dirty');
    const before = await pg.dump('golang_dirty');
    const r = await cli(['adopt', await bundleOf(writeMigrations(join(dir, 'golang-pg-d'), GOLANG)), '--db', url, '--from', 'golang-migrate']);
    expect(jsonOf(r)).toMatchObject({ code: 'DATABASE_DIRTY' });
    expect(await pg.dump('golang_dirty')).toBe(before);
  });
});
