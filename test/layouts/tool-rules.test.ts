/**
 * Each layout accepts what its tool accepts and orders as its tool orders, read from the tools'
 * own sources (named per case). A folder the tool runs packs; a folder the tool refuses is
 * refused with the tool's reason; files the tool never reads are carried, never run.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { jsonOf, runCli } from '../helpers/cli.js';
import { makeKey, tempDir, writeMigrations, writePolicy } from '../helpers/fixtures.js';
import { readFolder } from '../../src/layouts/folder.js';
import { chooseLayout } from '../../src/layouts/index.js';
import type { LayoutResult } from '../../src/layouts/layout.js';
import { LOCK } from './folders.js';
import { refusal } from '../helpers/refusal.js';

function read(layout: string, files: Record<string, string>): LayoutResult {
  const listing = readFolder(writeMigrations(tempDir('migseal-rules-'), files));
  return chooseLayout(layout, listing).read(listing);
}

const refused = (layout: string, files: Record<string, string>) => refusal(() => read(layout, files), 'LAYOUT_INVALID').message;

const order = (r: LayoutResult) => r.migrations.map((m) => `${m.version} ${m.name}${m.transactional ? '' : ' no-tx'}`);
const run = (r: LayoutResult) => new Set(r.migrations.flatMap((m) => [...(m.up ? [m.up] : []), ...(m.down ? [m.down] : [])]));
const carriedOnly = (r: LayoutResult) => r.files.filter((f) => !run(r).has(f)).sort();

describe('Prisma (prisma/packages/migrate listMigrations: every folder, localeCompare order)', () => {
  it('two folders sharing a timestamp are two migrations, each named by its whole folder name', () => {
    const r = read('auto', {
      'migration_lock.toml': LOCK,
      '20260228000000_draft_enum/migration.sql': "ALTER TYPE \"Status\" ADD VALUE 'DRAFT';\n",
      '20260228000000_add_values/migration.sql': "CREATE TYPE \"Status\" AS ENUM ('OPEN');\n",
      '20260101000000_init/migration.sql': 'CREATE TABLE a (id int);\n',
    });
    expect(order(r)).toEqual(['20260101000000_init init', '20260228000000_add_values add_values', '20260228000000_draft_enum draft_enum']);
  });

  it('orders as localeCompare does, not by bytes: 1_init before 10_more, add before Zeta', () => {
    const r = read('prisma', {
      'migration_lock.toml': LOCK,
      '10_more/migration.sql': 'SELECT 1;\n',
      '1_init/migration.sql': 'SELECT 1;\n',
      '2_Zeta/migration.sql': 'SELECT 1;\n',
      '2_add/migration.sql': 'SELECT 1;\n',
      '0_baseline/migration.sql': 'SELECT 1;\n',
    });
    expect(r.migrations.map((m) => m.version)).toEqual(['0_baseline', '1_init', '10_more', '2_add', '2_Zeta']);
  });

  it('carries what Prisma never reads: files beside the folders and beside migration.sql', () => {
    const r = read('prisma', {
      'migration_lock.toml': LOCK,
      'schema-backup.prisma': 'model A {}\n',
      '20240101000000_init/migration.sql': 'SELECT 1;\n',
      '20240101000000_init/notes.sql': 'DROP TABLE everything;\n',
    });
    expect(order(r)).toEqual(['20240101000000_init init']);
    expect(carriedOnly(r)).toEqual(['20240101000000_init/notes.sql', 'migration_lock.toml', 'schema-backup.prisma']);
  });

  it('refuses a folder without migration.sql, as Prisma fails to read it', () => {
    expect(refused('prisma', { 'migration_lock.toml': LOCK, '20240101000000_init/migration.sql': 'SELECT 1;\n', '20240102000000_half/down.sql': 'SELECT 1;\n' })).toMatch(
      /20240102000000_half\/: a migration folder without migration\.sql; Prisma fails to read its migration script/,
    );
  });

  it('packs, orders and applies a folder with a shared timestamp end to end (CLI, SQLite)', async () => {
    const dir = tempDir('migseal-prisma-shared-');
    const key = makeKey(dir, 'release');
    const policy = writePolicy(dir, { keys: [{ key, roles: ['release'] }] });
    const folder = writeMigrations(join(dir, 'migrations'), {
      'migration_lock.toml': 'provider = "sqlite"\n',
      '20260228000000_draft_enum/migration.sql': "INSERT INTO status VALUES ('DRAFT');\n",
      '20260228000000_add_values/migration.sql': "CREATE TABLE status (v TEXT);\nINSERT INTO status VALUES ('OPEN');\n",
    });
    const out = join(dir, 'b.migseal');
    expect((await runCli(['pack', folder, '--project', 'shop', '--release', '1', '--key', key.privatePath, '--out', out])).code).toBe(0);
    const db = join(dir, 'app.sqlite');
    const applied = await runCli(['apply', out, '--trust', policy, '--db', `sqlite:${db}`, '--audit-log', join(dir, 'audit.jsonl'), '--json']);
    expect(applied.stderr).toBe('');
    expect((jsonOf(applied).applied as Array<{ version: string }>).map((a) => a.version)).toEqual(['20260228000000_add_values', '20260228000000_draft_enum']);
    expect(new Database(db, { readonly: true }).prepare('SELECT v FROM status ORDER BY rowid').all()).toEqual([{ v: 'OPEN' }, { v: 'DRAFT' }]);
  });
});

describe('golang-migrate (source/parse.go, source/migration.go, source/iofs/iofs.go)', () => {
  it('pairs up and down by version only, whatever their titles; the up file names the migration', () => {
    const r = read('golang-migrate', { '1_create_users.up.sql': 'CREATE TABLE u (id int);\n', '1_remove_users.down.sql': 'DROP TABLE u;\n', '02_posts.up.sql': 'SELECT 1;\n' });
    expect(r.migrations.map((m) => [m.version, m.name, m.up, m.down])).toEqual([
      ['1', 'create_users', '1_create_users.up.sql', '1_remove_users.down.sql'],
      ['2', 'posts', '02_posts.up.sql', undefined],
    ]);
  });

  it('a version with only a down file is a migration whose up is empty (migrate.go newMigration), named by the down file', () => {
    const r = read('golang-migrate', { '1_a.up.sql': 'CREATE TABLE a (id int);\n', '2_restore_b.down.sql': 'CREATE INDEX CONCURRENTLY b ON a (id);\n', '3_c.up.sql': 'SELECT 1;\n' });
    expect(r.migrations.map((m) => [m.version, m.name, m.up, m.down])).toEqual([
      ['1', 'a', '1_a.up.sql', undefined],
      ['2', 'restore_b', undefined, '2_restore_b.down.sql'],
      ['3', 'c', '3_c.up.sql', undefined],
    ]);
    // The down is the only script that runs for it, so the down decides the transaction.
    expect(order(r)).toEqual(['1 a', '2 restore_b no-tx', '3 c']);
    expect(r.files).toEqual(['1_a.up.sql', '2_restore_b.down.sql', '3_c.up.sql']);
  });

  it('carries what golang-migrate skips: sub-folders and names that do not parse', () => {
    const r = read('golang-migrate', { '1_a.up.sql': 'SELECT 1;\n', 'bindata.go': 'package m\n', 'seeds/2_seed.up.sql': 'SELECT 2;\n', 'schema.sql': 'SELECT 3;\n' });
    expect(order(r)).toEqual(['1 a']);
    expect(carriedOnly(r)).toEqual(['bindata.go', 'schema.sql', 'seeds/2_seed.up.sql']);
  });

  it('refuses what golang-migrate refuses: one version twice (01 and 1), and a version beyond bigint', () => {
    expect(refused('golang-migrate', { '1_a.up.sql': 'SELECT 1;\n', '01_b.up.sql': 'SELECT 1;\n' })).toMatch(/duplicate up migration for version 1/);
    expect(refused('golang-migrate', { '9223372036854775808_a.up.sql': 'SELECT 1;\n' })).toMatch(/does not fit golang-migrate's schema_migrations\.version \(a bigint\)/);
  });
});

describe('Diesel (migrations_internals/src/lib.rs, file_based_migrations.rs, migration_harness.rs)', () => {
  it('mixes the three version formats and orders by the version string', () => {
    const r = read('diesel', {
      '2015-12-19-180527-0000_c/up.sql': 'SELECT 3;\n',
      '20151219180527_b/up.sql': 'SELECT 2;\n',
      '2015-12-19-180526_a/up.sql': 'SELECT 1;\n',
      '00000000000000_diesel_initial_setup/up.sql': 'SELECT 0;\n',
    });
    expect(r.migrations.map((m) => m.version)).toEqual(['00000000000000', '20151219180526', '20151219180527', '201512191805270000']);
  });

  it('metadata.toml: a missing key means no transaction (serde default), unknown keys are ignored', () => {
    const r = read('diesel', {
      '2020-01-01-000000_a/up.sql': 'SELECT 1;\n',
      '2020-01-01-000000_a/metadata.toml': '# no key\n',
      '2020-01-02-000000_b/up.sql': 'SELECT 1;\n',
      '2020-01-02-000000_b/metadata.toml': 'run_in_transaction = true\nsomething_else = "x"\n',
      '2020-01-03-000000_c/up.sql': 'SELECT 1;\n',
    });
    expect(order(r)).toEqual(['20200101000000 a no-tx', '20200102000000 b', '20200103000000 c']);
  });

  it('carries stray files beside the folders and inside them; a folder named without digits is a migration too', () => {
    const r = read('diesel', {
      '2020-01-01-000000_a/up.sql': 'SELECT 1;\n',
      '2020-01-01-000000_a/seed.csv': 'a,b\n',
      'data.json': '{}\n',
      'initial_setup/up.sql': 'SELECT 0;\n',
    });
    expect(order(r)).toEqual(['20200101000000 a', 'initial setup']);
    expect(carriedOnly(r)).toEqual(['2020-01-01-000000_a/seed.csv', 'data.json']);
  });
});

describe('dbmate (pkg/dbmate/db.go FindMigrations, pkg/dbmate/migration.go)', () => {
  const file = (up: string, down: string, downOptions = '') => `-- migrate:up\n${up}\n-- migrate:down${downOptions}\n${down}\n`;

  it('carries files dbmate skips (no leading digits, sub-folders); reads a down directive with several options', () => {
    const r = read('dbmate', {
      '20240101000000_a.sql': file('SELECT 1;', 'SELECT 2;'),
      'schema.sql': 'CREATE TABLE dumped (id int);\n',
      'archive/20230101000000_old.sql': file('SELECT 0;', 'SELECT 0;'),
      '20240102000000_b.sql': '-- migrate:up transaction:false\nSELECT 1;\n-- migrate:down transaction:false other:option\nSELECT 2;\n',
    });
    expect(order(r)).toEqual(['20240101000000 a', '20240102000000 b no-tx']);
    expect(carriedOnly(r)).toEqual(['archive/20230101000000_old.sql', 'schema.sql']);
  });

  it('refuses a file with a second up section, which dbmate fails recording', () => {
    expect(refused('dbmate', { '20240101000000_a.sql': `${file('SELECT 1;', 'SELECT 1;')}${file('SELECT 2;', 'SELECT 2;')}` })).toMatch(/a second '-- migrate:up' section/);
  });
});

describe('Flyway (ResourceNameParser.java, MigrationVersion.java, ResolvedMigrationComparator.java)', () => {
  it('reads versions and empty descriptions as Flyway does, and orders repeatables by description with underscores as spaces', () => {
    const r = read('flyway', {
      'V1.sql': 'SELECT 1;\n',
      'V1_1__.sql': 'SELECT 1;\n',
      'V01.2__two_words.sql': 'SELECT 1;\n',
      'R__a_b.sql': 'SELECT 1;\n',
      'R__a-b.sql': 'SELECT 1;\n',
    });
    expect(order(r)).toEqual(['1 ', '1.1 ', '01.2 two words', 'R a b', 'R a-b']);
  });

  it('carries a .sql file whose name Flyway does not recognise, and pack says it will not run', async () => {
    const folder = writeMigrations(tempDir('migseal-flyway-skip-'), { 'V1__init.sql': 'SELECT 1;\n', 'V1a__letters.sql': 'SELECT 1;\n', 'R2__versioned_repeatable.sql': 'SELECT 1;\n', 'seed.csv': 'a\n' });
    const listing = readFolder(folder);
    const r = chooseLayout('flyway', listing).read(listing);
    expect(order(r)).toEqual(['1 init']);
    expect(carriedOnly(r)).toEqual(['R2__versioned_repeatable.sql', 'V1a__letters.sql', 'seed.csv']);
    const packed = await runCli(['pack', folder, '--project', 'shop', '--release', '1', '--out', join(tempDir(), 'b.migseal')]);
    expect(packed.code).toBe(0);
    expect(packed.stdout).toContain('NOT RUN     V1a__letters.sql: invalid versioned migration name format (could not recognise version number "1a"); Flyway detects it but does not run it');
    expect(packed.stdout).toContain('NOT RUN     R2__versioned_repeatable.sql: invalid repeatable migration name format');
  });

  it('refuses what Flyway refuses: two migrations with one version (1 and 1.0), two repeatables with one description', () => {
    expect(refused('flyway', { 'V1__a.sql': 'SELECT 1;\n', 'V1.0__b.sql': 'SELECT 1;\n' })).toMatch(/duplicate version 1(\.0)? .*Flyway refuses/);
    expect(refused('flyway', { 'V1__a.sql': 'SELECT 1;\n', 'R__a_b.sql': 'SELECT 1;\n', 'x/R__a b.sql': 'SELECT 1;\n' })).toMatch(/duplicate repeatable migration "a b"/);
  });
});
