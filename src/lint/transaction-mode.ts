/**
 * Whether a migration runs inside a transaction, decided from parsed statements and the
 * layout's own semantics. Layouts call transactionModeFor; the analysis then reports the
 * statements that cannot work under the outcome.
 *
 * - 'single-query' (golang-migrate, Prisma, plain SQL): the tool sends the file as one
 *   query. PostgreSQL runs a lone statement outside any transaction and several as one
 *   implicit transaction; a file with its own BEGIN/COMMIT manages its own transaction.
 * - 'wrapped' (Diesel, dbmate, Flyway, Atlas by default): the tool wraps the file in one.
 * - 'none': the layout's marker turned the transaction off (e.g. `transaction:false`).
 */
import type { Dialect } from '../format/manifest.js';
import { cannotRunInTransaction, isTransactionControl } from './pg/tree.js';
import { sqliteCannotRunInTransaction, sqliteIsTransactionControl } from './sqlite/checks.js';
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
  const control = lint === 'postgres' ? isTransactionControl : sqliteIsTransactionControl;
  if (statements.some((s) => s.node !== undefined && control(s.node))) return { transactional: false, reason: 'the file opens and ends its own transaction' };
  const [only] = statements;
  if (statements.length === 1 && only?.node !== undefined && outside(only.node)) return { transactional: false, reason: 'a single statement that cannot run in a transaction' };
  return { transactional: true, reason: statements.length > 1 ? 'several statements sent as one query run as one implicit transaction' : 'one statement' };
}

function readable(sql: string, dialect: Dialect | LintDialect): { statements: Statement[]; lint: LintDialect } {
  if (dialect === 'postgres' || dialect === 'sqlite') return { statements: parseStatements(sql, dialect), lint: dialect };
  const pg = parseStatements(sql, 'postgres');
  if (pg.every((s) => s.error === undefined)) return { statements: pg, lint: 'postgres' };
  const lite = parseStatements(sql, 'sqlite');
  return lite.filter((s) => s.error).length < pg.filter((s) => s.error).length ? { statements: lite, lint: 'sqlite' } : { statements: pg, lint: 'postgres' };
}
