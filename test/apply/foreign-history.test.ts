/**
 * A database another migration tool manages, and no migseal history: plan and apply refuse
 * before anything runs, name the adopt command, and leave the database as it was; the operator
 * can say the peer table is unrelated.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir } from '../helpers/fixtures.js';
import { codeOf, createWorld, dumpSqlite, tableNames, V1, type RunnerWorld } from '../helpers/runner-world.js';

let world: RunnerWorld;
let n = 0;
beforeAll(() => {
  world = createWorld('migseal-foreign-');
});
afterAll(() => removeDir(world.dir));

/** Each tool's history table as the tool creates it on SQLite, with one row. */
const PEERS: Record<string, string> = {
  'golang-migrate': 'CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (1, 0);',
  dbmate: "CREATE TABLE schema_migrations (version varchar(128) primary key); INSERT INTO schema_migrations VALUES ('20240101000000');",
  prisma:
    "CREATE TABLE _prisma_migrations (id TEXT PRIMARY KEY NOT NULL, checksum TEXT NOT NULL, finished_at DATETIME, migration_name TEXT NOT NULL, logs TEXT, rolled_back_at DATETIME, started_at DATETIME NOT NULL DEFAULT current_timestamp, applied_steps_count INTEGER UNSIGNED NOT NULL DEFAULT 0); INSERT INTO _prisma_migrations (id, checksum, migration_name) VALUES ('a', 'b', '20240101000000_init');",
  diesel: "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP); INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101000000');",
  flyway:
    "CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL, installed_on TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')), execution_time INT NOT NULL, success BOOLEAN NOT NULL); INSERT INTO flyway_schema_history VALUES (1, '1', 'init', 'SQL', 'V1__init.sql', 1, 'me', '2024-01-01', 3, 1);",
  doctrine: "CREATE TABLE doctrine_migration_versions (version VARCHAR(191) NOT NULL PRIMARY KEY, executed_at DATETIME DEFAULT NULL, execution_time INTEGER DEFAULT NULL); INSERT INTO doctrine_migration_versions (version) VALUES ('DoctrineMigrations\\\\Version20240101000000');",
};

function managedBy(peer: string): string {
  const path = join(world.dir, `${peer}-${n++}.sqlite`);
  const db = new Database(path);
  db.exec(PEERS[peer]!);
  db.close();
  return path;
}

describe('a database another tool manages', () => {
  for (const peer of Object.keys(PEERS)) {
    it(`${peer}: plan and apply refuse with MANAGED_BY_ANOTHER_TOOL and the adopt command, changing nothing`, async () => {
      const bundle = await world.bundle(`foreign-${peer}`, V1);
      const path = managedBy(peer);
      const before = dumpSqlite(path);
      for (const verb of ['plan', 'apply']) {
        const result = await world.cli([verb, bundle, '--trust', world.policy, '--db', `sqlite:${path}`, '--json']);
        expect(result.code, result.stderr).toBe(2);
        const said = verb === 'plan' ? JSON.parse(result.stdout).refusal.message : result.stderr;
        expect(said).toMatch(new RegExp(`holds ${peer}'s history table \\w+ and no migseal history, so apply would run every migration again\\. Take the database over first: migseal adopt BUNDLE --from ${peer} `));
        expect(said).toContain('--peer-table-unrelated');
        if (verb === 'apply') expect(codeOf(result)).toBe('MANAGED_BY_ANOTHER_TOOL');
        else expect(JSON.parse(result.stdout).refusal.code).toBe('MANAGED_BY_ANOTHER_TOOL');
        expect(dumpSqlite(path)).toBe(before);
      }
    });
  }

  it('--peer-table-unrelated applies anyway, leaving the peer table as it was', async () => {
    const bundle = await world.bundle('foreign-unrelated', V1);
    const path = managedBy('dbmate');
    const result = await world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${path}`, '--peer-table-unrelated', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(tableNames(path)).toContain('migseal_migrations');
    expect(tableNames(path)).toContain('schema_migrations');
    // The bundle keeps golang-migrate's schema_migrations, but this one is dbmate's: it is left as it was.
    expect(new Database(path, { readonly: true }).prepare('SELECT * FROM schema_migrations').all()).toEqual([{ version: '20240101000000' }]);
  });

  it("refuses, before anything runs, to keep golang-migrate's table where another tool's table has its name", async () => {
    const path = join(world.dir, `shaped-${n++}.sqlite`);
    expect((await world.cli(['apply', await world.bundle('shaped-1', V1), '--trust', world.policy, '--db', `sqlite:${path}`, '--json'])).code).toBe(0);
    const db = new Database(path);
    db.exec("DROP TABLE schema_migrations; CREATE TABLE schema_migrations (version varchar(128) primary key); INSERT INTO schema_migrations VALUES ('20240101000000');");
    db.close();
    const bundle = await world.bundle('shaped-2', { ...V1, '3_more.up.sql': 'CREATE TABLE more (id INTEGER);\n' }, { release: '2' });
    const before = dumpSqlite(path);
    const refused = await world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${path}`, '--json']);
    expect(refused.code).toBe(2);
    expect(codeOf(refused)).toBe('MANAGED_BY_ANOTHER_TOOL');
    expect(refused.stderr).toContain("holds a schema_migrations table shaped as dbmate's, but this bundle keeps golang-migrate's history there");
    expect(dumpSqlite(path)).toBe(before);
    const applied = await world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${path}`, '--peer-table-unrelated', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(new Database(path, { readonly: true }).prepare('SELECT * FROM schema_migrations').all()).toEqual([{ version: '20240101000000' }]);
  });

  it('after adopt (migseal history exists) apply runs as usual', async () => {
    const bundle = await world.bundle('foreign-adopted', V1);
    const path = managedBy('golang-migrate');
    // golang-migrate at version 1 applied migration 1: create its table so the schema matches.
    const db = new Database(path);
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL)');
    db.close();
    const adopted = await world.cli(['adopt', bundle, '--trust', world.policy, '--db', `sqlite:${path}`, '--from', 'golang-migrate', '--json']);
    expect(adopted.code, adopted.stderr).toBe(0);
    const applied = await world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${path}`, '--json']);
    expect(applied.code, applied.stderr).toBe(0);
  });
});
