/**
 * The runner with the layouts whose semantics reach apply: Flyway repeatables (re-applied
 * after the versioned ones when their bytes change) and Doctrine migrations (only their own
 * tool can run them: apply refuses and points to migseal exec).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir } from '../helpers/fixtures.js';
import { codeOf, createWorld, dumpSqlite, rows, type RunnerWorld } from '../helpers/runner-world.js';

let world: RunnerWorld;
beforeAll(() => {
  world = createWorld('migseal-layouts-');
});
afterAll(() => removeDir(world.dir));

const FLYWAY = {
  'V1__create_users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1);\n',
  'V2__create_orders.sql': 'CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL);\n',
  'R__active_users.sql': 'DROP VIEW IF EXISTS active_users;\nCREATE VIEW active_users AS SELECT id, email FROM users WHERE active = 1;\n',
};

describe('Flyway repeatables', () => {
  it('run after the versioned migrations, are skipped while unchanged, and re-run when their bytes change', async () => {
    const db = join(world.dir, 'flyway.sqlite');
    const apply = (bundle: string) => world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--json']);
    const first = await apply(await world.bundle('fw1', FLYWAY));
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).applied.map((a: { version: string; name: string }) => a.name)).toEqual(['create users', 'create orders', 'active users']);

    const unchanged = await apply(await world.bundle('fw2', { ...FLYWAY, 'V3__notes.sql': 'CREATE TABLE notes (id INTEGER);\n' }, { release: '2' }));
    expect(JSON.parse(unchanged.stdout).applied.map((a: { name: string }) => a.name)).toEqual(['notes']);

    const view = 'DROP VIEW IF EXISTS active_users;\nCREATE VIEW active_users AS SELECT id FROM users WHERE active = 1;\n';
    const changed = await apply(await world.bundle('fw3', { ...FLYWAY, 'V3__notes.sql': 'CREATE TABLE notes (id INTEGER);\n', 'R__active_users.sql': view }, { release: '3' }));
    expect(changed.code).toBe(0);
    expect(JSON.parse(changed.stdout).applied.map((a: { name: string }) => a.name)).toEqual(['active users']);
    expect(rows(db, "SELECT sql FROM sqlite_master WHERE name = 'active_users'")[0]!.sql).not.toContain('email');
    expect(rows(db, "SELECT migration_key, kind, release FROM migseal_migrations WHERE kind = 'repeatable'")).toEqual([{ migration_key: 'R:active users', kind: 'repeatable', release: '3' }]);
  });
});

describe('T4.7 Doctrine migrations', () => {
  it('are refused by apply before anything runs, pointing to migseal exec', async () => {
    const db = join(world.dir, 'doctrine.sqlite');
    const php = (v: string) => `<?php\nnamespace App\\Migrations;\nuse Doctrine\\Migrations\\AbstractMigration;\nfinal class Version${v} extends AbstractMigration {\n  public function up($schema): void { $this->addSql('CREATE TABLE t${v} (id INT)'); }\n}\n`;
    const bundle = await world.bundle('doctrine', { 'Version20240101000000.php': php('20240101000000'), 'Version20240102000000.php': php('20240102000000') }, { dialect: 'any' });
    const before = dumpSqlite(db);
    const result = await world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--json']);
    expect(result.code).toBe(2);
    expect(codeOf(result)).toBe('NATIVE_RUNNER_REQUIRED');
    expect(result.stderr).toMatch(/can only be run by its own tool; hand the verified files to it with migseal exec/);
    expect(dumpSqlite(db)).toBe(before);
  });
});
