/**
 * One fixture per rule: the unsafe statement is reported with its rule, file and line, and
 * the safe variant the message suggests is not. Real parsers, no mocks.
 */
import { describe, expect, test } from 'vitest';
import { analyzeFile } from '../../src/lint/analyze.js';
import { RULES } from '../../src/format/finding-rules.js';
import { SchemaModel } from '../../src/lint/pg/column-types.js';
import type { LintDialect } from '../../src/lint/types.js';

interface Case {
  rule: string;
  bad: string;
  good: string;
  dialect?: LintDialect;
  transactional?: boolean;
  /** The safe variant's transaction mode, when it differs (e.g. alone in its own migration). */
  goodTransactional?: boolean;
}

const LT = "SET lock_timeout = '5s';\n";

const CASES: Case[] = [
  { rule: 'destructive/drop-schema', bad: 'DROP SCHEMA billing CASCADE;', good: 'CREATE SCHEMA IF NOT EXISTS billing;' },
  { rule: 'destructive/drop-database', bad: 'DROP DATABASE old;', good: 'SELECT 1;', transactional: false },
  { rule: 'destructive/drop-table', bad: 'DROP TABLE users;', good: `${LT}ALTER TABLE users RENAME TO users_retired;` },
  { rule: 'destructive/drop-column', bad: `${LT}ALTER TABLE users DROP COLUMN nickname;`, good: `${LT}ALTER TABLE users ADD COLUMN nickname text;` },
  { rule: 'destructive/truncate', bad: 'TRUNCATE sessions;', good: "DELETE FROM sessions WHERE expires_at < now() - interval '30 days';" },
  { rule: 'destructive/delete-without-where', bad: 'DELETE FROM sessions;', good: 'DELETE FROM sessions WHERE user_id IS NULL;' },
  { rule: 'destructive/update-without-where', bad: "UPDATE users SET plan = 'free';", good: "UPDATE users SET plan = 'free' WHERE plan IS NULL;" },
  {
    rule: 'destructive/narrowing-type-change',
    bad: `CREATE TABLE notes (id bigint PRIMARY KEY, body varchar(500));\nALTER TABLE notes ALTER COLUMN body TYPE varchar(100);`,
    good: `CREATE TABLE notes (id bigint PRIMARY KEY, body varchar(100));\nALTER TABLE notes ALTER COLUMN body TYPE varchar(500);`,
  },
  { rule: 'locking/create-index-non-concurrently', bad: 'CREATE INDEX users_email ON users (email);', good: 'CREATE INDEX CONCURRENTLY users_email ON users (email);', transactional: false },
  { rule: 'locking/add-column-not-null-without-default', bad: `${LT}ALTER TABLE users ADD COLUMN active boolean NOT NULL;`, good: `${LT}ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;` },
  { rule: 'locking/type-change-rewrites', bad: `${LT}ALTER TABLE users ALTER COLUMN id TYPE bigint;`, good: `${LT}ALTER TABLE users ADD COLUMN id_big bigint;` },
  {
    rule: 'locking/add-constraint-without-not-valid',
    bad: `${LT}ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id);`,
    good: `${LT}ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;`,
  },
  {
    rule: 'locking/add-unique-without-index',
    bad: `${LT}ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);`,
    good: `${LT}ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;`,
  },
  { rule: 'locking/add-column-volatile-default', bad: `${LT}ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();`, good: `${LT}ALTER TABLE users ADD COLUMN created_at timestamptz DEFAULT now();` },
  { rule: 'locking/set-not-null', bad: `${LT}ALTER TABLE users ALTER COLUMN email SET NOT NULL;`, good: `${LT}ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;` },
  { rule: 'locking/missing-lock-timeout', bad: 'ALTER TABLE users ADD COLUMN bio text;', good: `${LT}ALTER TABLE users ADD COLUMN bio text;` },
  { rule: 'transaction/cannot-run-in-transaction', bad: `${LT}CREATE INDEX CONCURRENTLY users_email ON users (email);`, good: 'CREATE INDEX CONCURRENTLY users_email ON users (email);', transactional: true, goodTransactional: false },
  { rule: 'transaction/transaction-control', bad: 'BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;', good: 'CREATE TABLE t (id int);' },
  { rule: 'outside-schema/grant', bad: 'GRANT SELECT ON users TO reporting;', good: 'CREATE VIEW users_public AS SELECT id FROM users;' },
  { rule: 'outside-schema/revoke', bad: 'REVOKE ALL ON users FROM PUBLIC;', good: 'COMMENT ON TABLE users IS $$people$$;' },
  { rule: 'outside-schema/role', bad: "CREATE ROLE reporting LOGIN PASSWORD 'x';", good: 'CREATE TABLE reports (id int);' },
  { rule: 'outside-schema/alter-system', bad: "ALTER SYSTEM SET work_mem = '64MB';", good: "SET LOCAL work_mem = '64MB';", transactional: false },
  { rule: 'outside-schema/copy-program', bad: "COPY users FROM PROGRAM 'curl http://x';", good: 'COPY users FROM STDIN;' },
  { rule: 'outside-schema/copy-server-file', bad: "COPY users TO '/tmp/users.csv';", good: 'COPY users TO STDOUT;' },
  { rule: 'outside-schema/server-file-function', bad: "INSERT INTO blobs (id, data) SELECT 1, pg_read_binary_file('/etc/passwd');", good: "INSERT INTO blobs (id, data) SELECT 1, decode('00', 'hex');" },
  { rule: 'outside-schema/server-file-function', bad: "SELECT lo_import('/etc/hosts');", good: 'SELECT lo_create(0);' },
  { rule: 'outside-schema/dblink', bad: "SELECT * FROM dblink('host=other', 'select 1') AS t(x int);", good: 'SELECT * FROM generate_series(1, 3);' },
  { rule: 'parse/unreadable-statement', bad: 'CREATE TABLE t (id int,);', good: 'CREATE TABLE t (id int);' },
  { rule: 'parse/dynamic-sql', bad: "DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'users'; END $$;", good: "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN CREATE TYPE mood AS ENUM ('ok'); END IF; END $$;" },
  { rule: 'destructive/drop-table', bad: 'DO $$ BEGIN DROP TABLE users; END $$;', good: 'DO $$ BEGIN PERFORM 1; END $$;' },
  { rule: 'destructive/truncate', bad: 'CREATE FUNCTION reset() RETURNS void LANGUAGE sql AS $$ TRUNCATE users $$;\nSELECT reset();', good: 'CREATE FUNCTION total() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM users $$;' },
  { rule: 'destructive/delete-without-where', bad: 'CREATE PROCEDURE purge() LANGUAGE plpgsql AS $$ BEGIN DELETE FROM events; END $$;', good: "CREATE PROCEDURE purge() LANGUAGE plpgsql AS $$ BEGIN DELETE FROM events WHERE at < now() - interval '1 year'; END $$;" },
  { rule: 'outside-schema/native-code', bad: "CREATE FUNCTION evil() RETURNS int LANGUAGE c AS '/tmp/evil.so', 'evil';", good: 'CREATE FUNCTION one() RETURNS int LANGUAGE sql IMMUTABLE BEGIN ATOMIC SELECT 1; END;' },
  { rule: 'outside-schema/native-code', bad: "CREATE FUNCTION shell() RETURNS text LANGUAGE plpython3u AS $$ import os; return os.popen('id').read() $$;", good: "CREATE FUNCTION hi() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN 'hi'; END $$;" },
  { rule: 'outside-schema/server-file-function', bad: "DO $$ DECLARE s text; BEGIN IF length(pg_read_file('/etc/passwd')) > 0 THEN RAISE NOTICE 'x'; END IF; END $$;", good: "DO $$ BEGIN RAISE NOTICE 'x'; END $$;" },
  { rule: 'destructive/drop-table', bad: 'DROP TABLE users;', good: 'ALTER TABLE users RENAME TO users_retired;', dialect: 'sqlite' },
  { rule: 'destructive/drop-column', bad: 'ALTER TABLE users DROP COLUMN nickname;', good: 'ALTER TABLE users ADD COLUMN nickname TEXT;', dialect: 'sqlite' },
  { rule: 'destructive/delete-without-where', bad: 'DELETE FROM sessions;', good: 'DELETE FROM sessions WHERE user_id IS NULL;', dialect: 'sqlite' },
  { rule: 'destructive/update-without-where', bad: "UPDATE users SET plan = 'free';", good: "UPDATE users SET plan = 'free' WHERE plan IS NULL;", dialect: 'sqlite' },
  { rule: 'outside-schema/attach', bad: "ATTACH DATABASE '/data/other.db' AS other;", good: 'CREATE TABLE other_copy (id INTEGER);', dialect: 'sqlite' },
  { rule: 'outside-schema/load-extension', bad: "SELECT load_extension('/tmp/evil.so');", good: "SELECT lower('X');", dialect: 'sqlite' },
  { rule: 'transaction/transaction-control', bad: 'BEGIN;\nCREATE TABLE t (id INTEGER);\nCOMMIT;', good: 'CREATE TABLE t (id INTEGER);', dialect: 'sqlite' },
  { rule: 'transaction/cannot-run-in-transaction', bad: 'VACUUM;', good: 'ANALYZE;', dialect: 'sqlite' },
  { rule: 'transaction/pragma-in-transaction', bad: 'PRAGMA foreign_keys = OFF;', good: 'PRAGMA foreign_keys = OFF;', dialect: 'sqlite', goodTransactional: false },
  { rule: 'transaction/pragma-in-transaction', bad: 'PRAGMA main.journal_mode = WAL;', good: 'PRAGMA user_version = 7;', dialect: 'sqlite' },
  { rule: 'parse/unreadable-statement', bad: 'CREATE TABLE t (id INTEGER,);', good: 'CREATE TABLE t (id INTEGER);', dialect: 'sqlite' },
  { rule: 'outside-schema/vacuum-into', bad: "VACUUM INTO '/tmp/copy.db';", good: 'ANALYZE;', dialect: 'sqlite', transactional: false },
  { rule: 'outside-schema/file-access', bad: 'CREATE VIRTUAL TABLE files USING fsdir;', good: 'CREATE VIRTUAL TABLE notes USING fts5(body);', dialect: 'sqlite' },
  { rule: 'outside-schema/history-tables', bad: 'CREATE TEMP TABLE migseal_migrations (migration_key TEXT);', good: 'CREATE TABLE migrations_seen (key TEXT);', dialect: 'sqlite' },
  { rule: 'outside-schema/history-tables', bad: "UPDATE migseal_migrations SET state = 'applied' WHERE version = '3';", good: "UPDATE orders SET state = 'paid' WHERE id = 3;" },
  { rule: 'outside-schema/name-resolution', bad: 'SET search_path = staging, public;', good: "SET lock_timeout = '5s';" },
  { rule: 'parse/tokenizer-setting', bad: 'SET standard_conforming_strings = off;', good: "SET statement_timeout = '1min';" },
  { rule: 'parse/read-after-tokenizer-setting', bad: 'SET backslash_quote = on;\nSELECT 1;', good: 'SELECT 1;' },
  { rule: 'parse/unreadable-body', bad: 'CREATE FUNCTION f() RETURNS int LANGUAGE plperl AS $$ return 1; $$;', good: 'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;' },
];

describe('each rule: the unsafe statement is found, the safe variant passes', () => {
  test.each(CASES.map((c) => [`${c.dialect ?? 'postgres'} ${c.rule}`, c] as const))('%s', (_name, c) => {
    const dialect = c.dialect ?? 'postgres';
    const tx = c.transactional ?? true;
    const bad = analyzeFile('7_change.up.sql', `-- a comment\n${c.bad}\n`, tx, dialect);
    const hit = bad.find((f) => f.rule === c.rule);
    expect(hit, JSON.stringify(bad)).toBeDefined();
    expect(hit!.file).toBe('7_change.up.sql');
    expect(hit!.line).toBeGreaterThanOrEqual(2);
    expect(hit!.statement).toBeTruthy();
    expect(hit!.message).toMatch(/;/);
    const good = analyzeFile('7_change.up.sql', `-- a comment\n${c.good}\n`, c.goodTransactional ?? tx, dialect);
    expect(good, JSON.stringify(good)).toEqual([]);
  });

  test('every rule that a statement can trigger has a fixture', () => {
    const covered = new Set(CASES.map((c) => c.rule));
    const directiveRules = ['parse/bad-directive', 'parse/unused-directive'];
    expect(RULES.map((r) => r.id).filter((id) => !covered.has(id) && !directiveRules.includes(id))).toEqual([]);
  });
});

describe('what the rules leave alone', () => {
  test('tables created earlier in the same migration are new and empty', () => {
    const sql = 'CREATE TABLE events (id bigint PRIMARY KEY, kind text);\nCREATE INDEX events_kind ON events (kind);\nALTER TABLE events ADD COLUMN at timestamptz NOT NULL;\nALTER TABLE events ADD CONSTRAINT events_kind_check CHECK (kind <> $$$$);\n';
    expect(analyzeFile('1.sql', sql, true, 'postgres')).toEqual([]);
  });

  test('widening a varchar, and varchar to text, do not rewrite when an earlier migration made the column', () => {
    const sql = `${LT}ALTER TABLE notes ALTER COLUMN body TYPE varchar(900);\nALTER TABLE notes ALTER COLUMN body TYPE text;\n`;
    const schema = new SchemaModel();
    expect(analyzeFile('0.sql', 'CREATE TABLE notes (body varchar(100));', true, 'postgres', schema)).toEqual([]);
    expect(analyzeFile('1.sql', sql, true, 'postgres', schema)).toEqual([]);
    // Without the earlier migration the old type is unknown, so the change may rewrite.
    expect(analyzeFile('1.sql', sql, true, 'postgres').map((f) => f.rule)).toContain('locking/type-change-rewrites');
  });

  test('a statement spanning lines is reported at its first line, after comments and blank lines', () => {
    const sql = 'CREATE TABLE a (id int);\n\n/* block\n comment */\n-- line\nDROP\n  TABLE\n  users;\n';
    const [finding] = analyzeFile('x.sql', sql, true, 'postgres');
    expect(finding).toMatchObject({ rule: 'destructive/drop-table', line: 6, statement: 'DROP TABLE users' });
  });

  test('multi-byte text before a statement does not shift its line', () => {
    const sql = "INSERT INTO names (n) VALUES ('Zoë 日本');\nDELETE FROM names;\n";
    expect(analyzeFile('x.sql', sql, true, 'postgres')).toMatchObject([{ rule: 'destructive/delete-without-where', line: 2, statement: 'DELETE FROM names' }]);
  });

  test('an unreadable statement does not hide the readable ones around it', () => {
    const sql = 'CREATE TABLE a (id int);\nthis is not sql;\nDELETE FROM users;\n';
    expect(analyzeFile('x.sql', sql, true, 'postgres').map((f) => [f.rule, f.line])).toEqual([
      ['parse/unreadable-statement', 2],
      ['destructive/delete-without-where', 3],
    ]);
  });

  test('functions that read server files are found inside nested expressions', () => {
    const sql = "CREATE TABLE cfg AS SELECT * FROM (SELECT upper(pg_read_file('/etc/passwd')) AS x) s;\n";
    expect(analyzeFile('x.sql', sql, true, 'postgres').map((f) => f.rule)).toEqual(['outside-schema/server-file-function']);
  });
});

describe('reports never carry credentials', () => {
  test('passwords in role statements, connection strings and URLs are masked in the recorded statement', () => {
    const sql = "CREATE ROLE app LOGIN PASSWORD 's3cret-pw';\nALTER ROLE app PASSWORD $x$an0ther$x$;\nSELECT dblink_exec('host=db user=a password=hunter2', 'select 1');\nSELECT dblink_exec('postgres://a:pa55@db/x', 'select 1');\n";
    const findings = analyzeFile('x.sql', sql, true, 'postgres');
    const text = JSON.stringify(findings);
    for (const secret of ['s3cret-pw', 'an0ther', 'hunter2', 'pa55']) expect(text).not.toContain(secret);
    expect(findings.map((f) => f.statement)).toEqual([
      "CREATE ROLE app LOGIN PASSWORD '***'",
      "ALTER ROLE app PASSWORD '***'",
      "SELECT dblink_exec('host=db user=a password=***', 'select 1')",
      "SELECT dblink_exec('postgres://a:***@db/x', 'select 1')",
    ]);
  });
});
