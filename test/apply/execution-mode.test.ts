import { describe, expect, it } from 'vitest';
import { controlsOwnTransaction, executionMode } from '../../src/apply/execution-mode.js';

const migration = (transactional: boolean) => ({ version: '1', name: 'x', up: '1_x.up.sql', transactional });

describe('execution mode', () => {
  it.each([
    ['BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n', true],
    ['begin transaction; create table t (id int); end transaction;', true],
    ['START TRANSACTION;\nALTER TABLE t ADD c int;\nCOMMIT;', true],
    ['CREATE TABLE t (id int);\nROLLBACK;', true],
    ['CREATE TABLE t (id int);', false],
    ["CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql;", false],
    ["CREATE FUNCTION f() RETURNS int AS $body$ BEGIN; COMMIT; $body$ LANGUAGE sql;", false],
    ['CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET n = 1; END;', false],
    ["-- BEGIN;\nCREATE TABLE t (note text DEFAULT 'COMMIT;');", false],
  ])('%j controls its own transaction: %s', (sql, expected) => {
    expect(controlsOwnTransaction(sql)).toBe(expected);
  });

  it('runs outside a transaction when the manifest says so or the script controls its own', () => {
    expect(executionMode(migration(true), 'CREATE TABLE t (id int);')).toBe('transaction');
    expect(executionMode(migration(false), 'CREATE INDEX CONCURRENTLY i ON t (id);')).toBe('outside');
    expect(executionMode(migration(true), 'BEGIN; CREATE TABLE t (id int); COMMIT;')).toBe('outside');
  });
});
