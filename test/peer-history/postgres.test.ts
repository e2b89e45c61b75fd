/**
 * Peer-compatible history on a real PostgreSQL server: migseal applies each tool's folder and
 * keeps the tool's own history table; the table is compared row by row with what the tool
 * writes for the same folder. dbmate's binary runs here, so it is run after migseal (it must
 * find everything applied) and migseal after it; for the other tools the expected rows are
 * built from the tool's source, named in each test. Every folder holds a migration that reads
 * or alters the tool's table, as real histories do.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { packBundle, writeMigrations } from '../helpers/fixtures.js';
import { usePostgresWorld } from '../helpers/postgres-world.js';

const ctx = usePostgresWorld();
const DBMATE = join(process.cwd(), '.tools/dbmate/bin/dbmate'); // scripts/peer-tools.sh installs it (npm test runs it)
let n = 0;

/**
 * Packs `files` signed with the world's release key and returns the bundle: with the library,
 * or with the CLI when the test passes pack's flags.
 */
async function pack(files: Record<string, string>, flags: string[] = []): Promise<{ bundle: string; folder: string }> {
  const folder = writeMigrations(join(ctx.world.dir, `peer-src-${++n}`), files);
  const bundle = join(ctx.world.dir, `peer-${n}.migseal`);
  if (flags.length === 0) {
    writeFileSync(bundle, await packBundle({ dir: folder, project: 'shop', release: '1', signers: [{ signer: ctx.world.key.signer, role: 'release' }] }));
    return { bundle, folder };
  }
  const packed = await ctx.world.migseal(['pack', folder, '--project', 'shop', '--release', '1', '--key', ctx.world.key.privatePath, '--out', bundle, ...flags]);
  expect(packed.stderr).toBe('');
  expect(packed.code).toBe(0);
  return { bundle, folder };
}

async function migseal(args: string[], code = 0): Promise<Record<string, unknown>> {
  const r = await ctx.world.migseal([...args, '--trust', ctx.world.policy, '--json']);
  expect(r.code, r.stdout + r.stderr).toBe(code);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const rows = async (sql: string, db: string): Promise<string[]> => (await ctx.cluster.psql(sql, db)).split('\n').filter((l) => l !== '');

describe('golang-migrate: schema_migrations, one row (database/postgres/postgres.go SetVersion; migrate.go runMigrations)', () => {
  const files = {
    '1_users.up.sql': 'CREATE TABLE users (id int);\nCREATE TABLE seen (version bigint, dirty boolean);\n',
    '1_users.down.sql': 'DROP TABLE seen;\nDROP TABLE users;\n',
    // Real golang-migrate histories alter the tool's table.
    '2_migrations_note.up.sql': 'ALTER TABLE schema_migrations ADD COLUMN note text;\n',
    '2_drop_note.down.sql': 'ALTER TABLE schema_migrations DROP COLUMN note;\n',
    // golang-migrate writes (3, dirty) before running 3: the migration sees it.
    '3_read.up.sql': 'INSERT INTO seen SELECT version, dirty FROM schema_migrations;\n',
    '3_read.down.sql': 'DELETE FROM seen;\n',
  };

  it('keeps (version, dirty) as golang-migrate does, through apply and rollback', async () => {
    const { bundle } = await pack(files);
    const url = await ctx.cluster.createDatabase('gm');
    await migseal(['apply', bundle, '--db', url]);
    // SetVersion(3, true) before 3 ran, SetVersion(3, false) after: one row.
    expect(await rows('SELECT version, dirty, note FROM schema_migrations', 'gm')).toEqual(['3|f|']);
    expect(await rows('SELECT version, dirty FROM seen', 'gm')).toEqual(['3|t']);
    expect(await rows("SELECT format_type(atttypid, atttypmod) || ' ' || attnotnull FROM pg_attribute WHERE attrelid = 'schema_migrations'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum", 'gm')).toEqual([
      'bigint true',
      'boolean true',
      'text false',
    ]);
    // Down to 1: the target is the version before (migrate.go Down: SetVersion(prev)).
    await migseal(['rollback', '--yes', bundle, '--db', url, '--to', '1']);
    expect(await rows('SELECT version, dirty FROM schema_migrations', 'gm')).toEqual(['1|f']);
    // Down past the first: (-1, dirty) while it runs, then an empty table.
    await migseal(['rollback', '--yes', bundle, '--db', url, '--to', '0']);
    expect(await rows('SELECT count(*) FROM schema_migrations', 'gm')).toEqual(['0']);
    await migseal(['apply', bundle, '--db', url]);
    expect(await rows('SELECT version, dirty FROM schema_migrations', 'gm')).toEqual(['3|f']);
  });

  it('uses the table a team configured (x-migrations-table); a failure stays dirty until resolve settles that table', async () => {
    const { bundle } = await pack(
      {
        '1_a.up.sql': 'CREATE TABLE a (id int);\n',
        // A lone CREATE INDEX CONCURRENTLY runs outside a transaction, as golang-migrate sends it.
        '2_idx.up.sql': 'CREATE INDEX CONCURRENTLY a_missing ON nope (id);\n',
      },
      ['--peer-table', 'app_migrations'],
    );
    const url = await ctx.cluster.createDatabase('gm_custom');
    await migseal(['apply', bundle, '--db', url], 3);
    expect(await rows('SELECT to_regclass(\'schema_migrations\') IS NULL', 'gm_custom')).toEqual(['t']);
    expect(await rows('SELECT version, dirty FROM app_migrations', 'gm_custom')).toEqual(['2|t']);
    // The bundle that ran it names the table in its signed manifest: resolve settles that one, as migrate force 1 would.
    const resolved = await ctx.world.migseal(['resolve', '--db', url, '--version', '2', '--as', 'rolled-back', '--reason', 'index never built', '--bundle', bundle, '--trust', ctx.world.policy]);
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(resolved.stdout).toContain("peer table: golang-migrate's app_migrations settled as golang-migrate would");
    expect(await rows('SELECT version, dirty FROM app_migrations', 'gm_custom')).toEqual(['1|f']);
    expect(await rows("SELECT to_regclass('schema_migrations') IS NULL", 'gm_custom')).toEqual(['t']);
  });

  it('adopt reads the table the bundle names (OpenMeter keeps schema_om) and apply keeps it going', async () => {
    const { bundle } = await pack({ '1_a.up.sql': 'CREATE TABLE a (id int);\n', '2_b.up.sql': 'CREATE TABLE b (id int);\n' }, ['--peer-table', 'schema_om']);
    const url = await ctx.cluster.createDatabase('gm_adopt');
    await ctx.cluster.psql('CREATE TABLE a (id int); CREATE TABLE schema_om (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_om VALUES (1, false);', 'gm_adopt');
    expect(await migseal(['adopt', bundle, '--db', url, '--from', 'golang-migrate'])).toMatchObject({ adopted: [{ version: '1' }], pending: 1 });
    await migseal(['apply', bundle, '--db', url]);
    expect(await rows('SELECT version, dirty FROM schema_om', 'gm_adopt')).toEqual(['2|f']);
  });

  it('resolve settles a dirty schema_migrations as migrate force would', async () => {
    const { bundle } = await pack({ '1_a.up.sql': 'CREATE TABLE a (id int);\n', '2_idx.up.sql': 'CREATE INDEX CONCURRENTLY a_missing ON nope (id);\n' });
    const url = await ctx.cluster.createDatabase('gm_force');
    await migseal(['apply', bundle, '--db', url], 3);
    expect(await rows('SELECT version, dirty FROM schema_migrations', 'gm_force')).toEqual(['2|t']);
    expect((await ctx.world.migseal(['resolve', '--db', url, '--version', '2', '--as', 'rolled-back', '--reason', 'index never built'])).code).toBe(0);
    expect(await rows('SELECT version, dirty FROM schema_migrations', 'gm_force')).toEqual(['1|f']);
  });

  it('a peer row that fails, ahead of the script or with the commit, fails the migration with its history row and chain entry', async () => {
    // The dirty row travels in one message with BEGIN and the script, the clean row with migseal's rows and COMMIT.
    const { bundle } = await pack({
      '1_guard.up.sql': `CREATE TABLE guard (dirty boolean);
CREATE FUNCTION guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.version = 2 AND EXISTS (SELECT 1 FROM guard WHERE dirty = NEW.dirty) THEN RAISE EXCEPTION 'guard refused (2, %)', NEW.dirty; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER guard BEFORE INSERT ON schema_migrations FOR EACH ROW EXECUTE FUNCTION guard();
INSERT INTO guard VALUES (true);
`,
      '2_b.up.sql': 'CREATE TABLE b (id int);\n',
    });
    const url = await ctx.cluster.createDatabase('gm_atomic');
    const state = async () => ({
      b: await rows("SELECT to_regclass('b') IS NOT NULL", 'gm_atomic'),
      history: await rows("SELECT version || ' ' || state FROM migseal.migseal_migrations ORDER BY version", 'gm_atomic'),
      chained: await rows(`SELECT count(*) FROM migseal.migseal_chain WHERE body LIKE '%"table":"migrations"%' AND body LIKE '%"version":"2"%'`, 'gm_atomic'),
      peer: await rows('SELECT version, dirty FROM schema_migrations', 'gm_atomic'),
    });
    const halted = { b: ['f'], history: ['1 applied'], chained: ['0'], peer: ['1|f'] };
    for (const [dirty, said] of [
      ['true', 'guard refused (2, t)'],
      ['false', 'guard refused (2, f)'],
    ] as const) {
      await ctx.cluster.psql(`DELETE FROM guard; INSERT INTO guard VALUES (${dirty})`, 'gm_atomic').catch(() => undefined);
      const failed = await ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url]);
      expect(failed.code, failed.stdout + failed.stderr).toBe(3);
      expect(failed.stderr).toContain(said);
      expect(await state()).toEqual(halted);
    }
    // The next run reads the chain whole (a broken one is refused as tampered) and completes.
    await ctx.cluster.psql('DELETE FROM guard', 'gm_atomic');
    await migseal(['apply', bundle, '--db', url]);
    expect(await state()).toEqual({ b: ['t'], history: ['1 applied', '2 applied'], chained: ['1'], peer: ['2|f'] });
  });

  it('pack --peer-history off leaves the tool table alone; plan shows the choice', async () => {
    const off = await pack({ '1_a.up.sql': 'CREATE TABLE a (id int);\n' }, ['--peer-history', 'off']);
    const url = await ctx.cluster.createDatabase('gm_off');
    const planned = await ctx.world.migseal(['plan', off.bundle, '--trust', ctx.world.policy, '--db', url]);
    expect(planned.stdout).toContain("peer table  off: golang-migrate's schema_migrations is not written");
    await migseal(['apply', off.bundle, '--db', url]);
    expect(await rows("SELECT to_regclass('schema_migrations') IS NULL", 'gm_off')).toEqual(['t']);
    const kept = await pack({ '1_a.up.sql': 'CREATE TABLE a (id int);\n' });
    expect((await ctx.world.migseal(['plan', kept.bundle, '--trust', ctx.world.policy, '--db', url])).stdout).toContain('peer table  kept: golang-migrate schema_migrations, written with each migration');
  });
});

describe('dbmate: schema_migrations, one row per version (pkg/dbmate/db.go, pkg/driver/postgres/postgres.go)', () => {
  const file = (up: string, down: string) => `-- migrate:up\n${up}\n-- migrate:down\n${down}\n`;
  const files = {
    '20240101000000_users.sql': file('CREATE TABLE users (id int);\nCREATE TABLE seen (n bigint);', 'DROP TABLE seen;\nDROP TABLE users;'),
    // dbmate inserts the version after the block: a migration sees the ones before it.
    '20240102000000_count.sql': file('INSERT INTO seen SELECT count(*) FROM schema_migrations;', 'DELETE FROM seen;'),
    '20240103000000_trigger.sql': file(
      "CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO seen VALUES (100); RETURN NEW; END $$;\nCREATE TRIGGER on_migration AFTER INSERT ON schema_migrations FOR EACH ROW EXECUTE FUNCTION stamp();",
      'DROP TRIGGER on_migration ON schema_migrations;\nDROP FUNCTION stamp();',
    ),
    '20240104000000_more.sql': file('CREATE TABLE more (id int);', 'DROP TABLE more;'),
  };
  const dbmate = (url: string, folder: string, ...args: string[]) =>
    spawnSync(DBMATE, ['--url', `${url}?sslmode=disable`, '--migrations-dir', folder, '--no-dump-schema', ...args], { encoding: 'utf8' });

  it('the same rows and the same side effects as dbmate; dbmate then finds everything applied', async () => {
    const { bundle, folder } = await pack(files);
    const ours = await ctx.cluster.createDatabase('dbmate_ours');
    await migseal(['apply', bundle, '--db', ours]);
    const theirs = await ctx.cluster.createDatabase('dbmate_theirs');
    const up = dbmate(theirs, folder, 'up');
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    for (const sql of ['SELECT version FROM schema_migrations ORDER BY version', 'SELECT n FROM seen ORDER BY n']) {
      expect(await rows(sql, 'dbmate_ours')).toEqual(await rows(sql, 'dbmate_theirs'));
    }
    expect(await rows('SELECT n FROM seen ORDER BY n', 'dbmate_ours')).toEqual(['1', '100', '100']);

    const status = dbmate(ours, folder, 'status');
    expect(status.stdout).toContain('Applied: 4');
    expect(status.stdout).toContain('Pending: 0');
    expect(status.status).toBe(0);
    const again = dbmate(ours, folder, 'migrate');
    expect(again.status).toBe(0);
    expect(again.stdout).not.toContain('Applying');

    // Back one step with each tool: the same rows again.
    await migseal(['rollback', '--yes', bundle, '--db', ours, '--to', '20240103000000']);
    expect(dbmate(theirs, folder, 'rollback').status).toBe(0);
    expect(await rows('SELECT version FROM schema_migrations ORDER BY version', 'dbmate_ours')).toEqual(await rows('SELECT version FROM schema_migrations ORDER BY version', 'dbmate_theirs'));
  });

  it('migseal after dbmate: adopt continues from the table and keeps it going', async () => {
    const { bundle, folder } = await pack(files);
    const first = writeMigrations(join(ctx.world.dir, `dbmate-first-${n}`), { '20240101000000_users.sql': files['20240101000000_users.sql'], '20240102000000_count.sql': files['20240102000000_count.sql'] });
    const url = await ctx.cluster.createDatabase('dbmate_adopt');
    expect(dbmate(url, first, 'up').status).toBe(0);
    expect((await migseal(['adopt', bundle, '--db', url, '--from', 'dbmate'])).pending).toBe(2);
    await migseal(['apply', bundle, '--db', url]);
    expect(await rows('SELECT version FROM schema_migrations ORDER BY version', 'dbmate_adopt')).toEqual(['20240101000000', '20240102000000', '20240103000000', '20240104000000']);
    const status = dbmate(url, folder, 'status');
    expect(status.stdout).toContain('Pending: 0');
  });
});

describe('Prisma: _prisma_migrations (schema-engine sql-schema-connector: create_migrations_table, migration_persistence.rs, checksum.rs)', () => {
  it('one finished row per migration with the SHA-256 of migration.sql, one step, started and finished times', async () => {
    const files = {
      'migration_lock.toml': 'provider = "postgresql"\n',
      '20260228000000_add_values/migration.sql': 'CREATE TABLE "Seen" ("unfinished" INTEGER);\n',
      // Prisma records the row as started before it runs the script: a migration sees itself unfinished.
      '20260228000000_draft_enum/migration.sql': 'INSERT INTO "Seen" SELECT count(*) FROM "_prisma_migrations" WHERE finished_at IS NULL;\n',
    };
    const { bundle } = await pack(files);
    const url = await ctx.cluster.createDatabase('prisma_peer');
    const before = new Date();
    await migseal(['apply', bundle, '--db', url]);
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(
      await rows(
        "SELECT migration_name, checksum, applied_steps_count, logs IS NULL, rolled_back_at IS NULL, finished_at >= started_at, id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' FROM _prisma_migrations ORDER BY started_at, migration_name",
        'prisma_peer',
      ),
    ).toEqual([
      `20260228000000_add_values|${sha(files['20260228000000_add_values/migration.sql'])}|1|t|t|t|t`,
      `20260228000000_draft_enum|${sha(files['20260228000000_draft_enum/migration.sql'])}|1|t|t|t|t`,
    ]);
    expect(await rows('SELECT "unfinished" FROM "Seen"', 'prisma_peer')).toEqual(['1']);
    const started = new Date((await rows('SELECT min(started_at) FROM _prisma_migrations', 'prisma_peer'))[0]!.replace(' ', 'T').replace(/\+00$/, 'Z'));
    expect(started.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
  });

  it('a failure leaves the row unfinished with the error in logs; resolve --as applied does what prisma migrate resolve --applied does', async () => {
    const { bundle } = await pack({ 'migration_lock.toml': 'provider = "postgresql"\n', '1_init/migration.sql': 'CREATE TABLE t (id int);\n', '2_idx/migration.sql': 'CREATE INDEX CONCURRENTLY t_x ON nope (id);\n' });
    const url = await ctx.cluster.createDatabase('prisma_fail');
    await migseal(['apply', bundle, '--db', url], 3);
    expect(await rows("SELECT migration_name, finished_at IS NULL, coalesce(logs LIKE '%relation \"nope\" does not exist%', false) FROM _prisma_migrations ORDER BY started_at", 'prisma_fail')).toEqual(['1_init|f|f', '2_idx|t|t']);
    expect((await ctx.world.migseal(['resolve', '--db', url, '--version', '2_idx', '--as', 'applied', '--reason', 'built by hand'])).code).toBe(0);
    expect(await rows("SELECT finished_at IS NULL, rolled_back_at IS NULL, applied_steps_count, logs = '' FROM _prisma_migrations WHERE migration_name = '2_idx' ORDER BY finished_at NULLS FIRST", 'prisma_fail')).toEqual([
      't|f|0|f', // the failed attempt, marked rolled back
      'f|t|0|t', // mark_migration_applied_impl: a finished row, logs '', no steps
    ]);
  });
});

describe('Diesel: __diesel_schema_migrations (setup_migration_table.sql, migration_harness.rs run_migration/revert_migration)', () => {
  it('one row per version, run_on set, inserted after up.sql in its transaction', async () => {
    const { bundle } = await pack({
      '00000000000000_diesel_initial_setup/up.sql': 'CREATE TABLE seen (n bigint);\n',
      '00000000000000_diesel_initial_setup/down.sql': 'DROP TABLE seen;\n',
      '2015-12-19-180527_count/up.sql': 'INSERT INTO seen SELECT count(*) FROM __diesel_schema_migrations;\n',
      '2015-12-19-180527_count/down.sql': 'DELETE FROM seen;\n',
      '2015-12-19-180528-0000_more/up.sql': 'CREATE TABLE more (id int);\n',
      '2015-12-19-180528-0000_more/down.sql': 'DROP TABLE more;\n',
    });
    const url = await ctx.cluster.createDatabase('diesel_peer');
    await migseal(['apply', bundle, '--db', url]);
    expect(await rows('SELECT version, run_on IS NOT NULL FROM __diesel_schema_migrations ORDER BY version', 'diesel_peer')).toEqual(['00000000000000|t', '20151219180527|t', '201512191805280000|t']);
    expect(await rows('SELECT n FROM seen', 'diesel_peer')).toEqual(['1']);
    expect(await rows("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '__diesel_schema_migrations'::regclass AND attnum > 0 ORDER BY attnum", 'diesel_peer')).toEqual(['character varying(50)', 'timestamp without time zone']);
    await migseal(['rollback', '--yes', bundle, '--db', url, '--to', '20151219180527']);
    expect(await rows('SELECT version FROM __diesel_schema_migrations ORDER BY version', 'diesel_peer')).toEqual(['00000000000000', '20151219180527']);
  });
});

describe('Flyway: flyway_schema_history (PostgreSQLDatabase.getRawCreateScript, JdbcTableSchemaHistory.doAddAppliedMigration, ChecksumCalculator)', () => {
  /** Flyway's checksum, computed here from its definition: CRC32 over each line's UTF-8 bytes, no line endings, as a signed int. */
  const checksum = (s: string) => s.split(/\r\n|\r|\n/).filter((l, i, all) => i < all.length - 1 || l !== '').reduce((c, l) => crc32(Buffer.from(l, 'utf8'), c), 0) | 0;
  it('ranked rows with version, description, type, script, checksum, user, time and success; repeatables last with no version', async () => {
    const files = {
      'V1__create_users.sql': 'CREATE TABLE users (id int);\r\nCREATE TABLE seen (n bigint);\n',
      'V1_1__count_history.sql': 'INSERT INTO seen SELECT count(*) FROM flyway_schema_history;\n',
      'sql/V2__.sql': 'CREATE TABLE more (id int);\n',
      'R__users_view.sql': 'CREATE OR REPLACE VIEW users_view AS SELECT id FROM users;\n',
    };
    const { bundle } = await pack(files);
    const url = await ctx.cluster.createDatabase('flyway_peer');
    await migseal(['apply', bundle, '--db', url]);
    expect(
      await rows('SELECT installed_rank, coalesce(version, \'NULL\'), description, type, script, checksum, installed_by, execution_time >= 0, success, installed_on IS NOT NULL FROM flyway_schema_history ORDER BY installed_rank', 'flyway_peer'),
    ).toEqual([
      `1|1|create users|SQL|V1__create_users.sql|${checksum(files['V1__create_users.sql'])}|postgres|t|t|t`,
      `2|1.1|count history|SQL|V1_1__count_history.sql|${checksum(files['V1_1__count_history.sql'])}|postgres|t|t|t`,
      `3|2||SQL|sql/V2__.sql|${checksum(files['sql/V2__.sql'])}|postgres|t|t|t`,
      `4|NULL|users view|SQL|R__users_view.sql|${checksum(files['R__users_view.sql'])}|postgres|t|t|t`,
    ]);
    expect(await rows('SELECT n FROM seen', 'flyway_peer')).toEqual(['1']);
    expect(await rows("SELECT conname FROM pg_constraint WHERE conrelid = 'flyway_schema_history'::regclass AND contype <> 'n' UNION ALL SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'flyway_schema_history'::regclass AND NOT indisprimary", 'flyway_peer')).toEqual([
      'flyway_schema_history_pk',
      'flyway_schema_history_s_idx',
    ]);
  });
});
