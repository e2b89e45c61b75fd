/**
 * Transaction semantics, decided in this one place from the dialect's parsed statements:
 * whether a script opens or ends a transaction itself (the runner asks controlsOwnTransaction
 * before it wraps a script in one), and whether a migration runs inside a transaction at all
 * (layouts call transactionModeFor; the analysis then reports the statements that cannot
 * work under the outcome).
 *
 * - 'single-query' (golang-migrate, Prisma, plain SQL): the tool sends the file as one
 *   query. PostgreSQL runs a lone statement outside any transaction and several as one
 *   implicit transaction; a file with its own BEGIN/COMMIT manages its own transaction.
 * - 'wrapped' (Diesel, dbmate, Flyway, Atlas by default): the tool wraps the file in one.
 * - 'none': the layout's marker turned the transaction off (e.g. `transaction:false`).
 */
import type { Dialect } from '../format/manifest.js';
import { cannotRunInTransaction } from './pg/tree.js';
import { sqliteCannotRunInTransaction } from './sqlite/checks.js';
import { sqliteControlsOwnTransaction } from './sqlite/transaction-control.js';
import { findTransactionControl, MAY_CONTROL } from './transaction-control.js';
import { parseStatements } from './parse.js';
import type { LintDialect, Statement } from './types.js';

export type TransactionSemantics = 'single-query' | 'wrapped' | 'none';

export interface TransactionMode {
  transactional: boolean;
  reason: string;
}

export function transactionModeFor(sql: string, dialect: Dialect | LintDialect, semantics: TransactionSemantics): TransactionMode {
  if (semantics === 'wrapped') return { transactional: true, reason: 'the tool wraps each migration in a transaction' };
  if (semantics === 'none') return { transactional: false, reason: "the migration's marker turns the transaction off" };
  const { statements, lint } = readable(sql, dialect);
  const outside = lint === 'postgres' ? cannotRunInTransaction : sqliteCannotRunInTransaction;
  if (findTransactionControl(sql, statements, lint)) return { transactional: false, reason: 'the file opens and ends its own transaction' };
  const [only] = statements;
  if (statements.length === 1 && only?.node !== undefined && outside(only.node)) return { transactional: false, reason: 'a single statement that cannot run in a transaction' };
  return { transactional: true, reason: statements.length > 1 ? 'several statements sent as one query run as one implicit transaction' : 'one statement' };
}

/** Layouts whose tool sends a file as one query: whether the file must run without a runner's transaction. */
export function needsNoTransaction(sql: string): boolean {
  return !transactionModeFor(sql, 'any', 'single-query').transactional;
}

/**
 * Whether a script opens or ends a transaction itself, as the dialect's own parser reads it
 * (./transaction-control.ts says what counts). SQLite's answer reads with SQLite's parser
 * alone (./sqlite/transaction-control.ts), as the runner on SQLite asks it.
 */
export function controlsOwnTransaction(sql: string, dialect: LintDialect): boolean {
  if (dialect === 'sqlite') return sqliteControlsOwnTransaction(sql);
  if (!MAY_CONTROL.test(sql)) return false;
  return findTransactionControl(sql, parseStatements(sql, dialect), dialect) !== undefined;
}

function readable(sql: string, dialect: Dialect | LintDialect): { statements: Statement[]; lint: LintDialect } {
  if (dialect === 'postgres' || dialect === 'sqlite') return { statements: parseStatements(sql, dialect), lint: dialect };
  const pg = parseStatements(sql, 'postgres');
  if (pg.every((s) => s.error === undefined)) return { statements: pg, lint: 'postgres' };
  const lite = parseStatements(sql, 'sqlite');
  return lite.filter((s) => s.error).length < pg.filter((s) => s.error).length ? { statements: lite, lint: 'sqlite' } : { statements: pg, lint: 'postgres' };
}
