/** T5.7: the runner finds transaction control with the database's own parser, in every spelling, and nothing else. */
import { describe, expect, it } from 'vitest';
import { executionMode } from '../../src/apply/execution-mode.js';
import { controlsOwnTransaction } from '../../src/lint/transaction-mode.js';

const migration = (transactional: boolean) => ({ version: '1', name: 'x', up: '1_x.up.sql', transactional });

describe('T5.7 transaction control, as the dialect parses it', () => {
  const both = ['postgres', 'sqlite'] as const;

  it.each([
    'BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n',
    'begin transaction; create table t (id int); end transaction;',
    'CREATE TABLE t (id int);\nEND;',
    'CREATE TABLE t (id int);\nROLLBACK;',
    'CREATE TABLE t (id int);\nCOMMIT;\nCREATE TABLE u (id int);',
  ])('%j ends or opens a transaction, on PostgreSQL and SQLite', (sql) => {
    for (const dialect of both) expect(controlsOwnTransaction(sql, dialect), dialect).toBe(true);
  });

  it.each([
    'START TRANSACTION;\nALTER TABLE t ADD c int;\nCOMMIT;',
    'CREATE TABLE t (id int);\nCOMMIT AND CHAIN;\nCREATE TABLE u (id int);',
    'CREATE TABLE t (id int);\nROLLBACK AND CHAIN;',
    'CREATE TABLE t (id int);\nABORT;',
    'create table t (id int);\nabort work;',
    "CREATE TABLE t (id int);\nPREPARE TRANSACTION 'x';",
    'CREATE TABLE t (id int);/*x*/commit;',
    'SELECT $a$x$a$;COMMIT;',
  ])('%j ends or opens a transaction on PostgreSQL', (sql) => {
    expect(controlsOwnTransaction(sql, 'postgres')).toBe(true);
  });

  it.each([
    ['CREATE TABLE t (id int);', both],
    ["CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql;", ['postgres']],
    ["CREATE FUNCTION f() RETURNS int AS $body$ BEGIN; COMMIT; $body$ LANGUAGE sql;", ['postgres']],
    ['SELECT 1 AS commit$x, 2 AS x$end; SELECT $q$ ; COMMIT; $q$;', ['postgres']],
    ['SAVEPOINT a; CREATE TABLE t (id int); RELEASE SAVEPOINT a; SAVEPOINT b; ROLLBACK TO SAVEPOINT b;', both],
    ['CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET n = 1; END;', ['sqlite']],
    ["-- BEGIN;\nCREATE TABLE t (note text DEFAULT 'COMMIT;');", both],
    ["SELECT CASE WHEN 1 = 1 THEN 'a' ELSE 'b' END;", both],
  ] as const)('%j does not', (sql, dialects) => {
    for (const dialect of dialects) expect(controlsOwnTransaction(sql, dialect), dialect).toBe(false);
  });

  it('counts a statement the parser cannot read when it holds a transaction word', () => {
    expect(controlsOwnTransaction('CREATE TABLE t (id int); COMMIT ; FROB THE WIDGET commit;', 'postgres')).toBe(true);
    expect(controlsOwnTransaction('CREATE TABLE t (id int); FROB THE WIDGET;', 'postgres')).toBe(false);
  });

  it('runs outside a transaction when the manifest says so or the script controls its own', async () => {
    expect(await executionMode(migration(true), 'CREATE TABLE t (id int);', 'postgres')).toBe('transaction');
    expect(await executionMode(migration(false), 'CREATE INDEX CONCURRENTLY i ON t (id);', 'postgres')).toBe('outside');
    expect(await executionMode(migration(true), 'CREATE TABLE t (id int); END;', 'sqlite')).toBe('outside');
    expect(await executionMode(migration(true), 'CREATE TABLE t (id int); COMMIT AND CHAIN;', 'postgres')).toBe('outside');
  });
});
