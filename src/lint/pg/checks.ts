/**
 * The PostgreSQL rules, applied to one parsed statement at a time. Tables created earlier
 * in the same file are new and empty, so the locking rules leave them alone.
 */
import type { Hit, Statement } from '../types.js';
import { columnTypeOf, type SchemaModel } from './column-types.js';
import { alterTable } from './alter-table.js';
import { cannotRunInTransaction, isTransactionControl, relationName, unwrap, type Node } from './tree.js';
import { functionCalls } from './walk.js';
import { routineContents } from './plpgsql.js';
import { parseSync } from 'libpg-query';

export interface PgFileState {
  transactional: boolean;
  created: Set<string>;
  lockTimeout: boolean;
  lockTimeoutReported: boolean;
}

const SERVER_FILE_FUNCTIONS = new Set(['pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', 'pg_stat_file', 'pg_file_write', 'pg_file_rename', 'pg_file_unlink', 'pg_file_sync', 'pg_logdir_ls', 'pg_ls_logdir', 'pg_ls_waldir', 'pg_ls_tmpdir', 'pg_ls_archive_statusdir', 'lo_import', 'lo_export']);
const DBLINK_FUNCTIONS = new Set(['dblink', 'dblink_exec', 'dblink_connect', 'dblink_connect_u', 'dblink_send_query', 'dblink_open', 'dblink_fetch']);

export function checkPostgres(stmt: Statement, file: PgFileState, schema: SchemaModel): Hit[] {
  const hits: Hit[] = [];
  const hit = (rule: string, detail?: string): void => void hits.push({ rule, statement: stmt, ...(detail && { detail }) });
  const [kind, n] = unwrap(stmt.node);
  const existing = (table: string): boolean => table !== '' && !file.created.has(table);
  let strongLockOn = '';

  if (file.transactional && cannotRunInTransaction(stmt.node)) hit('transaction/cannot-run-in-transaction');
  if (file.transactional && isTransactionControl(stmt.node)) hit('transaction/transaction-control');

  switch (kind) {
    case 'CreateStmt': {
      const table = relationName(n.relation);
      file.created.add(table);
      for (const e of n.tableElts ?? []) if (e.ColumnDef) schema.setColumn(table, e.ColumnDef.colname, columnTypeOf(e.ColumnDef.typeName));
      break;
    }
    case 'DropStmt': {
      const names = (n.objects ?? []).map((o: Node) => (o.List?.items ?? [o]).map((i: Node) => i.String?.sval ?? '').join('.'));
      if (n.removeType === 'OBJECT_TABLE') {
        hit('destructive/drop-table', names.join(', '));
        for (const t of names) schema.dropTable(t);
        strongLockOn = names.find(existing) ?? '';
      }
      if (n.removeType === 'OBJECT_SCHEMA') hit('destructive/drop-schema', names.join(', '));
      if (n.removeType === 'OBJECT_INDEX' && n.concurrent !== true) strongLockOn = '(index)';
      break;
    }
    case 'DropdbStmt':
      hit('destructive/drop-database', n.dbname);
      break;
    case 'TruncateStmt':
      hit('destructive/truncate', (n.relations ?? []).map((r: Node) => relationName(r.RangeVar)).join(', '));
      strongLockOn = relationName(n.relations?.[0]?.RangeVar);
      break;
    case 'DeleteStmt':
      if (!n.whereClause && !n.usingClause) hit('destructive/delete-without-where', relationName(n.relation));
      break;
    case 'UpdateStmt':
      if (!n.whereClause && !n.fromClause && existing(relationName(n.relation))) hit('destructive/update-without-where', relationName(n.relation));
      break;
    case 'IndexStmt': {
      const table = relationName(n.relation);
      if (n.concurrent !== true && existing(table)) {
        hit('locking/create-index-non-concurrently', table);
        strongLockOn = table;
      }
      break;
    }
    case 'AlterTableStmt':
      strongLockOn = alterTable(n, hit, existing, schema);
      break;
    case 'RenameStmt':
    case 'CreateTrigStmt':
      strongLockOn = relationName(n.relation);
      break;
    case 'VariableSetStmt':
      if (n.name === 'lock_timeout') file.lockTimeout = true;
      break;
    case 'GrantStmt':
    case 'GrantRoleStmt':
      hit(n.is_grant ? 'outside-schema/grant' : 'outside-schema/revoke');
      break;
    case 'CreateRoleStmt':
    case 'AlterRoleStmt':
    case 'AlterRoleSetStmt':
    case 'DropRoleStmt':
      hit('outside-schema/role');
      break;
    case 'AlterSystemStmt':
      hit('outside-schema/alter-system');
      break;
    case 'CopyStmt':
      if (n.is_program) hit('outside-schema/copy-program');
      else if (n.filename) hit('outside-schema/copy-server-file', n.filename);
      break;
    case 'DoStmt':
    case 'CreateFunctionStmt':
      hits.push(...checkRoutine(stmt, kind, n, file, schema));
      break;
    case 'CreateExtensionStmt':
      if (n.extname === 'dblink' || n.extname === 'postgres_fdw') hit('outside-schema/dblink', n.extname);
      break;
  }
  for (const name of functionCalls(stmt.node)) {
    if (SERVER_FILE_FUNCTIONS.has(name)) hit('outside-schema/server-file-function', name);
    else if (DBLINK_FUNCTIONS.has(name)) hit('outside-schema/dblink', name);
  }
  if (strongLockOn !== '' && existing(strongLockOn) && !file.lockTimeout && !file.lockTimeoutReported) {
    file.lockTimeoutReported = true;
    hit('locking/missing-lock-timeout', strongLockOn);
  }
  return hits;
}

/** Applies the rules to each statement inside a DO block or function body, reported at the statement. */
function checkRoutine(stmt: Statement, kind: 'DoStmt' | 'CreateFunctionStmt', n: Node, file: PgFileState, schema: SchemaModel): Hit[] {
  const contents = routineContents(kind, n, stmt.text);
  if (!contents) return [];
  const { where } = contents;
  if (contents.native !== undefined) return [{ rule: 'outside-schema/native-code', statement: stmt, detail: `language ${contents.native}` }];
  if (contents.error !== undefined) return [{ rule: 'parse/unreadable-statement', statement: stmt, detail: `${where}: ${contents.error}` }];
  const hits: Hit[] = contents.dynamic ? [{ rule: 'parse/dynamic-sql', statement: stmt, detail: where }] : [];
  const inner: unknown[] = [...contents.nodes];
  for (const sql of contents.sql) {
    try {
      for (const s of (parseSync(sql) as { stmts?: Array<{ stmt?: Node }> }).stmts ?? []) inner.push(s.stmt ?? {});
    } catch (error) {
      hits.push({ rule: 'parse/unreadable-statement', statement: stmt, detail: `${where}: ${(error as Error).message}` });
    }
  }
  const state: PgFileState = { ...file, transactional: false };
  for (const node of inner) for (const hit of checkPostgres({ ...stmt, node }, state, schema)) hits.push({ ...hit, statement: stmt, detail: `${where}${hit.detail ? `: ${hit.detail}` : ''}` });
  file.lockTimeoutReported ||= state.lockTimeoutReported;
  return hits;
}
