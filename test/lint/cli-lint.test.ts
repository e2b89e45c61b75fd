/**
 * The commands as a user runs them: lint in CI (exit 2 on error findings, JSON, SARIF), and
 * apply refusing a destructive release before anything runs, then plan showing the decision
 * and apply running it once approved.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import Database from 'better-sqlite3';
import { runCli, jsonOf } from '../helpers/cli.js';
import { makeKey, removeDir, tempDir, writeMigrations, writePolicy, type TestKey } from '../helpers/fixtures.js';

let dir: string;
let releaser: TestKey;
let approver: TestKey;
let trust: string;

const SAFE = {
  '1_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, nickname TEXT);\n',
  '1_users.down.sql': 'DROP TABLE users;\n',
};
const DESTRUCTIVE = { ...SAFE, '2_drop_nickname.up.sql': 'ALTER TABLE users DROP COLUMN nickname;\n' };

beforeAll(() => {
  dir = tempDir();
  releaser = makeKey(dir, 'releaser');
  approver = makeKey(dir, 'approver');
  trust = writePolicy(dir, { dialect: 'sqlite', keys: [{ key: releaser, roles: ['release'] }, { key: approver, roles: ['approve'] }], environments: { default: { release: 1 } } });
});
afterAll(() => removeDir(dir));

describe('migseal lint', () => {
  test('a clean folder exits 0; a down script is read, and its findings shown without failing lint', async () => {
    const result = await runCli(['lint', writeMigrations(join(dir, 'clean'), SAFE), '--dialect', 'sqlite']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/1_users\.down\.sql:1 {2}error \(down script: judged by the policy at rollback\) {2}destructive\/drop-table/);
    expect(result.stdout).toMatch(/1 migration \(golang-migrate layout, sqlite\) read in \d+ ms: 0 errors, .*; 1 finding in down scripts/);
  });

  test('an error finding exits 2 and names rule, file, line and the safe alternative', async () => {
    const result = await runCli(['lint', writeMigrations(join(dir, 'bad'), DESTRUCTIVE), '--dialect', 'sqlite']);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/2_drop_nickname\.up\.sql:1 {2}error {2}destructive\/drop-column\n {4}ALTER TABLE users DROP COLUMN nickname\n {4}Drops a column .*later release/);
  });

  test('--format json and --format sarif', async () => {
    const folder = join(dir, 'bad');
    const json = await runCli(['lint', folder, '--dialect', 'sqlite', '--format', 'json']);
    expect(json.code).toBe(2);
    expect(jsonOf(json)).toMatchObject({
      ok: false,
      errors: 1,
      dialect: 'sqlite',
      findings: [
        { rule: 'destructive/drop-column', file: '2_drop_nickname.up.sql', line: 1 },
        { rule: 'destructive/drop-table', file: '1_users.down.sql', line: 1, direction: 'down' },
      ],
    });
    const sarif = await runCli(['lint', folder, '--dialect', 'sqlite', '--format', 'sarif']);
    expect(sarif.code).toBe(2);
    const log = JSON.parse(sarif.stdout) as { version: string; runs: Array<{ results: Array<{ ruleId: string; level: string }> }> };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]!.results.map((r) => [r.ruleId, r.level])).toEqual([
      ['destructive/drop-column', 'error'],
      ['destructive/drop-table', 'note'],
    ]);
  });

  test('a dialect it cannot read is a usage error', async () => {
    const result = await runCli(['lint', join(dir, 'bad'), '--dialect', 'mysql']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/lint reads postgres and sqlite migrations/);
  });
});

describe('apply enforces the findings policy before anything runs', () => {
  test('refused without an approval (database unchanged), applied once approved', async () => {
    const src = writeMigrations(join(dir, 'release'), DESTRUCTIVE);
    const bundle = join(dir, 'release.tgz');
    const packed = await runCli(['pack', src, '--project', 'shop', '--release', '1', '--dialect', 'sqlite', '--key', releaser.privatePath, '--out', bundle]);
    expect(packed.stderr).toBe('');
    expect(packed.stdout).toMatch(/findings {4}2 \(sqlite; 1 errors not allowed by directives, 1 in down scripts/);

    const db = join(dir, 'db.sqlite');
    mkdirSync(dir, { recursive: true });
    writeFileSync(db, '');
    const refused = await runCli(['apply', bundle, '--trust', trust, '--db', `sqlite:${db}`, '--json']);
    expect(refused.code).toBe(2);
    expect(jsonOf(refused)).toMatchObject({ code: 'FINDINGS_NOT_ALLOWED' });
    expect(refused.stderr).toMatch(/needs an approval signature for destructive\/drop-column at 2_drop_nickname\.up\.sql line 1/);
    const empty = new Database(db, { readonly: true });
    expect(empty.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([]);
    empty.close();

    const signed = await runCli(['sign', bundle, '--key', approver.privatePath, '--role', 'approve']);
    expect(signed.code).toBe(0);
    const plan = await runCli(['plan', bundle, '--trust', trust, '--db', `sqlite:${db}`]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/finding {3}2_drop_nickname\.up\.sql:1 {2}destructive\/drop-column: approved \(by category "destructive" \(default\)\)/);
    const applied = await runCli(['apply', bundle, '--trust', trust, '--db', `sqlite:${db}`]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(existsSync(db)).toBe(true);
    const after = new Database(db, { readonly: true });
    expect((after.prepare('SELECT name FROM pragma_table_info(?)').all('users') as Array<{ name: string }>).map((c) => c.name)).toEqual(['id', 'email']);
    after.close();
  });
});
