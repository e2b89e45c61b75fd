/**
 * Whether a migration can run in a transaction, for layouts whose tool sends a file as one
 * query (golang-migrate, Prisma, plain SQL). The decision is made from parsed statements by
 * the analysis (src/lint/transaction-mode.ts): a lone statement that PostgreSQL refuses
 * inside a transaction block, or a file with its own BEGIN/COMMIT, runs without one; several
 * statements run as one implicit transaction. Layouts with other semantics (a wrapping tool,
 * or a marker) call transactionModeFor with theirs.
 */
import { transactionModeFor } from '../lint/transaction-mode.js';

export { transactionModeFor, type TransactionMode, type TransactionSemantics } from '../lint/transaction-mode.js';

export function needsNoTransaction(sql: string): boolean {
  return !transactionModeFor(sql, 'any', 'single-query').transactional;
}
