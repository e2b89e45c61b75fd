/** The SQLite rules, applied to one parsed statement at a time. */
import type { Hit, Statement } from '../types.js';

type Node = Record<string, any>;

/** Settings SQLite ignores, or refuses to change, inside a transaction. */
const IGNORED_IN_TRANSACTION = new Set(['foreign_keys', 'journal_mode', 'synchronous', 'page_size', 'auto_vacuum']);

export interface SqliteFileState {
  transactional: boolean;
}

export function sqliteCannotRunInTransaction(node: unknown): boolean {
  return (node as Node | undefined)?.type === 'vacuum_stmt';
}

export function sqliteIsTransactionControl(node: unknown): boolean {
  const type = (node as Node | undefined)?.type;
  return type === 'start_transaction_stmt' || type === 'commit_transaction_stmt' || (type === 'rollback_transaction_stmt' && !(node as Node).savepoint);
}

export function checkSqlite(stmt: Statement, file: SqliteFileState): Hit[] {
  const hits: Hit[] = [];
  const hit = (rule: string, detail?: string): void => void hits.push({ rule, statement: stmt, ...(detail && { detail }) });
  const n = stmt.node as Node;
  if (file.transactional && sqliteCannotRunInTransaction(n)) hit('transaction/cannot-run-in-transaction');
  if (file.transactional && sqliteIsTransactionControl(n)) hit('transaction/transaction-control');
  const clauses: Node[] = n.clauses ?? [];
  const hasWhere = clauses.some((c) => c.type === 'where_clause');
  const tableOf = (type: string): string => textOf(clauses.find((c) => c.type === type)?.tables?.items?.[0]);
  switch (n.type) {
    case 'drop_table_stmt':
      hit('destructive/drop-table', (n.tables?.items ?? []).map(textOf).join(', '));
      break;
    case 'alter_table_stmt':
      for (const action of n.actions?.items ?? []) if (action.type === 'alter_action_drop_column') hit('destructive/drop-column', `${textOf(n.table)}.${textOf(action.column)}`);
      break;
    case 'delete_stmt':
      if (!hasWhere) hit('destructive/delete-without-where', tableOf('delete_clause'));
      break;
    case 'update_stmt':
      if (!hasWhere) hit('destructive/update-without-where', tableOf('update_clause'));
      break;
    case 'pragma_stmt': {
      const name = textOf(n.pragma?.type === 'pragma_assignment' || n.pragma?.type === 'pragma_func_call' ? n.pragma.name : undefined);
      const pragma = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
      if (file.transactional && IGNORED_IN_TRANSACTION.has(pragma)) hit('transaction/pragma-in-transaction', pragma);
      break;
    }
    case 'attach_database_stmt':
    case 'detach_database_stmt':
      hit('outside-schema/attach', textOf(n.schema));
      break;
  }
  for (const name of functionCalls(n)) if (name === 'load_extension') hit('outside-schema/load-extension');
  return hits;
}

function textOf(node: Node | undefined): string {
  if (!node) return '';
  if (typeof node.name === 'string') return node.name;
  if (typeof node.text === 'string') return node.text;
  if (node.type === 'member_expr') return `${textOf(node.object)}.${textOf(node.property)}`;
  return '';
}

function functionCalls(node: unknown): string[] {
  const names: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) for (const v of value) visit(v);
    else if (value !== null && typeof value === 'object') {
      const v = value as Node;
      if (v.type === 'func_call') names.push(textOf(v.name).toLowerCase());
      for (const child of Object.values(v)) if (typeof child === 'object') visit(child);
    }
  };
  visit(node);
  return names;
}
