/**
 * What counts as a script opening or ending a transaction itself: BEGIN, START TRANSACTION,
 * COMMIT and END (AND CHAIN too), ROLLBACK and ABORT, PREPARE TRANSACTION and its
 * COMMIT/ROLLBACK PREPARED; never a word inside a string, a `$`-quoted body, a comment, an
 * identifier or a trigger body. Savepoints (SAVEPOINT, RELEASE, ROLLBACK TO) nest inside a
 * transaction and do not count. A statement the parser cannot read counts when it holds one
 * of those words: it may be hiding one. Imports no parser: callers pass parsed statements.
 */
import { isTransactionControl } from './pg/tree.js';
import { sqliteIsTransactionControl } from './sqlite/checks.js';
import type { LintDialect, Statement } from './types.js';

/** Words every transaction-control statement starts with, in both dialects. Without one of them anywhere, there is nothing to parse for. */
export const MAY_CONTROL = /begin|start|commit|end|rollback|abort|prepare/i;

export function findTransactionControl(sql: string, statements: readonly Statement[], dialect: LintDialect): Statement | undefined {
  const control = dialect === 'postgres' ? isTransactionControl : sqliteIsTransactionControl;
  return statements.find((s) => (s.node === undefined ? MAY_CONTROL.test(sql.slice(s.gapStart, s.end)) : control(s.node)));
}
