/**
 * The SQLite rules, applied to one parsed statement at a time, and to every statement
 * nested in it that SQLite will run: a trigger's body runs later, on every matching change.
 */
import type { Hit, Statement } from '../types.js';

type Node = Record<string, any>;

/** Settings SQLite ignores, or refuses to change, inside a transaction. */
const IGNORED_IN_TRANSACTION = new Set(['foreign_keys', 'journal_mode', 'synchronous', 'page_size', 'auto_vacuum']);
/** Functions that open, read or write files (the shell's fileio functions, and extensions). */
const FILE_FUNCTIONS = new Set(['readfile', 'writefile', 'edit', 'fsdir', 'zipfile', 'sqlar_compress', 'sqlar_uncompress', 'lsmode']);
/** Virtual table modules built into SQLite that keep their data inside the database. */
const SAFE_MODULES = new Set(['fts3', 'fts4', 'fts5', 'fts5vocab', 'rtree', 'rtree_i32', 'geopoly']);
/** PRAGMAs that point SQLite at files or folders outside the database. */
const FILE_PRAGMAS = new Set(['temp_store_directory', 'data_store_directory']);
/** migseal's own tables are named migseal...; nothing a migration names may start so. */
const HISTORY_NAME = /^migseal/i;

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
  const root = stmt.node as Node;
  if (file.transactional && sqliteCannotRunInTransaction(root)) hit('transaction/cannot-run-in-transaction');
  if (file.transactional && sqliteIsTransactionControl(root)) hit('transaction/transaction-control');
  visitStatements(root, (n) => checkStatement(n, file, hit));
  for (const name of functionCalls(root)) {
    if (name === 'load_extension') hit('outside-schema/load-extension');
    else if (FILE_FUNCTIONS.has(name)) hit('outside-schema/file-access', `${name}()`);
  }
  const historyName = historyNameIn(root);
  if (historyName !== undefined) hit('outside-schema/history-tables', historyName);
  return hits;
}

function checkStatement(n: Node, file: SqliteFileState, hit: (rule: string, detail?: string) => void): void {
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
      const name = textOf(n.pragma?.type === 'pragma_assignment' || n.pragma?.type === 'pragma_func_call' ? n.pragma.name : n.pragma);
      const pragma = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
      if (file.transactional && IGNORED_IN_TRANSACTION.has(pragma)) hit('transaction/pragma-in-transaction', pragma);
      if (FILE_PRAGMAS.has(pragma)) hit('outside-schema/file-access', `PRAGMA ${pragma}`);
      break;
    }
    case 'attach_database_stmt':
    case 'detach_database_stmt':
      hit('outside-schema/attach', textOf(n.schema));
      break;
    case 'vacuum_stmt':
      if (n.intoKw || n.file) hit('outside-schema/vacuum-into', n.file?.type === 'string_literal' ? String(n.file.value) : 'a file named at run time');
      break;
    case 'create_table_stmt': {
      const using = clauses.find((c) => c.type === 'create_table_using_clause');
      const module = textOf(using?.module?.type === 'func_call' ? using.module.name : using?.module).toLowerCase();
      if (using && !SAFE_MODULES.has(module)) hit('outside-schema/file-access', `virtual table module ${module || '(unnamed)'}`);
      break;
    }
  }
}

/** Calls fn for every statement in the tree, the root included: a trigger's body holds statements too. */
function visitStatements(node: unknown, fn: (n: Node) => void): void {
  if (Array.isArray(node)) for (const v of node) visitStatements(v, fn);
  else if (node !== null && typeof node === 'object') {
    const n = node as Node;
    if (typeof n.type === 'string' && n.type.endsWith('_stmt')) fn(n);
    for (const key in n) {
      const child = n[key];
      if (child !== null && typeof child === 'object') visitStatements(child, fn);
    }
  }
}

/** The first identifier that names migseal's own tables (in any schema: main, temp, an attached one). */
function historyNameIn(node: unknown): string | undefined {
  let found: string | undefined;
  const visit = (value: unknown): void => {
    if (found !== undefined) return;
    if (Array.isArray(value)) for (const v of value) visit(v);
    else if (value !== null && typeof value === 'object') {
      const v = value as Node;
      if (v.type === 'identifier' && typeof v.name === 'string' && HISTORY_NAME.test(v.name)) found = v.name;
      for (const key in v) {
        const child = v[key];
        if (child !== null && typeof child === 'object') visit(child);
      }
    }
  };
  visit(node);
  return found;
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
      for (const key in v) {
        const child = v[key];
        if (typeof child === 'object') visit(child);
      }
    }
  };
  visit(node);
  return names;
}
