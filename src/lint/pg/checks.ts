/**
 * The PostgreSQL rules, applied to one parsed statement at a time. Tables created earlier
 * in the same file are new and empty, so the locking rules leave them alone.
 */
import type { Hit, Statement } from '../types.js';
import { classifyTypeChange, columnTypeOf, type SchemaModel } from './column-types.js';
import { functionCalls } from './walk.js';
import { routineContents } from './plpgsql.js';
import { parseSync } from 'libpg-query';

export interface PgFileState {
  transactional: boolean;
  created: Set<string>;
  lockTimeout: boolean;
  lockTimeoutReported: boolean;
}

type Node = Record<string, any>;

const SERVER_FILE_FUNCTIONS = new Set(['pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', 'pg_stat_file', 'pg_file_write', 'pg_file_rename', 'pg_file_unlink', 'pg_file_sync', 'pg_logdir_ls', 'pg_ls_logdir', 'pg_ls_waldir', 'pg_ls_tmpdir', 'pg_ls_archive_statusdir', 'lo_import', 'lo_export']);
const DBLINK_FUNCTIONS = new Set(['dblink', 'dblink_exec', 'dblink_connect', 'dblink_connect_u', 'dblink_send_query', 'dblink_open', 'dblink_fetch']);
const OPENS_OR_ENDS = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START', 'TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE', 'TRANS_STMT_COMMIT_PREPARED', 'TRANS_STMT_ROLLBACK_PREPARED']);

export function unwrap(node: unknown): [string, Node] {
  const key = Object.keys(node as object)[0] ?? '';
  return [key, ((node as Node)[key] ?? {}) as Node];
}

export function relationName(rel: Node | undefined): string {
  if (!rel) return '';
  const schema = rel.schemaname && rel.schemaname !== 'public' ? `${rel.schemaname}.` : '';
  return `${schema}${rel.relname ?? ''}`;
}

/** Statements PostgreSQL refuses inside a transaction block. */
export function cannotRunInTransaction(node: unknown): boolean {
  const [kind, n] = unwrap(node);
  switch (kind) {
    case 'IndexStmt':
      return n.concurrent === true;
    case 'DropStmt':
      return n.concurrent === true;
    case 'ReindexStmt':
      return (n.params ?? []).some((p: Node) => p.DefElem?.defname === 'concurrently');
    case 'VacuumStmt':
      return n.is_vacuumcmd === true;
    case 'AlterTableStmt':
      return (n.cmds ?? []).some((c: Node) => c.AlterTableCmd?.subtype === 'AT_DetachPartition' && c.AlterTableCmd?.def?.PartitionCmd?.concurrent === true);
    case 'AlterSystemStmt':
    case 'CreatedbStmt':
    case 'DropdbStmt':
    case 'CreateTableSpaceStmt':
    case 'DropTableSpaceStmt':
      return true;
    default:
      return false;
  }
}

export function isTransactionControl(node: unknown): boolean {
  const [kind, n] = unwrap(node);
  return kind === 'TransactionStmt' && OPENS_OR_ENDS.has(n.kind);
}

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

function alterTable(n: Node, hit: (rule: string, detail?: string) => void, existing: (t: string) => boolean, schema: SchemaModel): string {
  const table = relationName(n.relation);
  const old = existing(table);
  if (n.objtype && n.objtype !== 'OBJECT_TABLE') return '';
  for (const c of n.cmds ?? []) {
    const cmd = c.AlterTableCmd as Node | undefined;
    if (!cmd) continue;
    const column = cmd.name ?? cmd.def?.ColumnDef?.colname;
    switch (cmd.subtype) {
      case 'AT_DropColumn':
        hit('destructive/drop-column', `${table}.${column}`);
        schema.dropColumn(table, column);
        break;
      case 'AT_AddColumn': {
        const def = cmd.def?.ColumnDef as Node;
        const constraints = (def?.constraints ?? []).map((k: Node) => k.Constraint?.contype);
        const hasDefault = constraints.some((t: string) => t === 'CONSTR_DEFAULT' || t === 'CONSTR_IDENTITY' || t === 'CONSTR_GENERATED') || def?.identity || def?.generated;
        if (old && (constraints.includes('CONSTR_NOTNULL') || constraints.includes('CONSTR_PRIMARY')) && !hasDefault) hit('locking/add-column-not-null-without-default', `${table}.${column}`);
        schema.setColumn(table, column, columnTypeOf(def?.typeName));
        break;
      }
      case 'AT_AlterColumnType': {
        const to = columnTypeOf(cmd.def?.ColumnDef?.typeName);
        if (!to) break;
        const change = classifyTypeChange(schema.column(table, column), to);
        if (change === 'narrowing') hit('destructive/narrowing-type-change', `${table}.${column}`);
        else if (change === 'rewrite' && old) hit('locking/type-change-rewrites', `${table}.${column}`);
        schema.setColumn(table, column, to);
        break;
      }
      case 'AT_AddConstraint': {
        const k = cmd.def?.Constraint as Node | undefined;
        if (!k || !old) break;
        if ((k.contype === 'CONSTR_FOREIGN' || k.contype === 'CONSTR_CHECK') && k.skip_validation !== true) hit('locking/add-constraint-without-not-valid', `${table}${k.conname ? ` ${k.conname}` : ''}`);
        if ((k.contype === 'CONSTR_UNIQUE' || k.contype === 'CONSTR_PRIMARY' || k.contype === 'CONSTR_EXCLUSION') && !k.indexname) hit('locking/add-unique-without-index', `${table}${k.conname ? ` ${k.conname}` : ''}`);
        break;
      }
    }
  }
  return old ? table : '';
}
