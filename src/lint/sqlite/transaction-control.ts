/**
 * Whether a SQLite script opens or ends a transaction itself (../transaction-control.ts),
 * read with SQLite's parser only: the runner on SQLite asks this before it wraps a script in
 * a transaction, and never loads PostgreSQL's parser (WebAssembly, about 100 ms to compile).
 */
import { cachedStatements } from '../statement-cache.js';
import { findTransactionControl, MAY_CONTROL } from '../transaction-control.js';
import { parseSqlite } from './parse.js';

export function sqliteControlsOwnTransaction(sql: string): boolean {
  if (!MAY_CONTROL.test(sql)) return false;
  return findTransactionControl(sql, cachedStatements(sql, 'sqlite', parseSqlite), 'sqlite') !== undefined;
}
