/** Transaction mode follows the layout's semantics, decided on parsed statements. */
import { describe, expect, test } from 'vitest';
import { needsNoTransaction, transactionModeFor } from '../../src/lint/transaction-mode.js';

describe('transactionModeFor', () => {
  test('single-query: a lone statement PostgreSQL refuses in a transaction runs without one', () => {
    for (const sql of ['CREATE INDEX CONCURRENTLY i ON t (a);', '-- build it\nDROP INDEX CONCURRENTLY i;', 'REINDEX (CONCURRENTLY) INDEX i;', 'VACUUM t;', "ALTER SYSTEM SET work_mem = '1MB';"]) {
      expect(transactionModeFor(sql, 'postgres', 'single-query').transactional, sql).toBe(false);
    }
  });

  test('single-query: several statements run as one implicit transaction, CONCURRENTLY or not', () => {
    expect(transactionModeFor("SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY i ON t (a);", 'postgres', 'single-query')).toMatchObject({ transactional: true });
    expect(transactionModeFor('CREATE TABLE a (id int); CREATE TABLE b (id int);', 'postgres', 'single-query').transactional).toBe(true);
  });

  test('single-query: words in comments and strings are not statements', () => {
    expect(transactionModeFor("-- CREATE INDEX CONCURRENTLY would go here\nINSERT INTO notes VALUES ('run VACUUM later');", 'postgres', 'single-query').transactional).toBe(true);
    expect(needsNoTransaction("/* vacuum */ SELECT 'create index concurrently';")).toBe(false);
  });

  test('single-query: a file with its own BEGIN/COMMIT manages its own transaction', () => {
    expect(transactionModeFor('BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;', 'postgres', 'single-query')).toMatchObject({ transactional: false, reason: /own transaction/ });
  });

  test('wrapped and none follow the layout, whatever the file holds', () => {
    expect(transactionModeFor('CREATE INDEX CONCURRENTLY i ON t (a);', 'postgres', 'wrapped').transactional).toBe(true);
    expect(transactionModeFor('CREATE TABLE a (id int);', 'postgres', 'none').transactional).toBe(false);
  });

  test('SQLite: VACUUM alone runs outside a transaction', () => {
    expect(transactionModeFor('VACUUM;', 'sqlite', 'single-query').transactional).toBe(false);
    expect(transactionModeFor('CREATE TABLE a (id INTEGER) STRICT;', 'sqlite', 'single-query').transactional).toBe(true);
  });

  test('dialect "any" reads SQLite-only syntax with the SQLite parser', () => {
    expect(transactionModeFor("ATTACH 'x.db' AS x;", 'any', 'single-query').transactional).toBe(true);
    expect(needsNoTransaction('CREATE INDEX CONCURRENTLY i ON t (a);')).toBe(true);
  });
});
