/**
 * The PostgreSQL rules, applied to one parsed statement at a time. Tables created earlier
 * in the same file are new and empty, so the locking rules leave them alone.
 */
import type { Hit, Statement } from '../types.js';
import { columnTypeOf, type SchemaModel } from './column-types.js';
import { alterTable } from './alter-table.js';
import { cannotRunInTransaction, isTransactionControl, relationName, unwrap, type Node } from './tree.js';
import { calls } from './walk.js';
import { routineContents } from './plpgsql.js';
import { parseSync } from './libpg.js';

export interface PgFileState {
  transactional: boolean;
  created: Set<string>;
  lockTimeout: boolean;
  lockTimeoutReported: boolean;
  /** How deep inside routine bodies the statement being checked is; undefined at the top of a file. */
  routineDepth?: number;
}

/** Routines defined inside routines deeper than this are not read: reported as unreadable. */
const MAX_ROUTINE_DEPTH = 8;

const SERVER_FILE_FUNCTIONS = new Set(['pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', 'pg_stat_file', 'pg_file_write', 'pg_file_rename', 'pg_file_unlink', 'pg_file_sync', 'pg_logdir_ls', 'pg_ls_logdir', 'pg_ls_waldir', 'pg_ls_tmpdir', 'pg_ls_archive_statusdir', 'lo_import', 'lo_export']);
const DBLINK_FUNCTIONS = new Set(['dblink', 'dblink_exec', 'dblink_connect', 'dblink_connect_u', 'dblink_send_query', 'dblink_open', 'dblink_fetch']);

/** Settings that change how the server turns SQL text into tokens: a static reader cannot follow them. */
const TOKENIZER_SETTINGS = new Set(['standard_conforming_strings', 'backslash_quote', 'escape_string_warning', 'client_encoding']);
/** Settings that decide which objects unqualified names reach, or as whom they are resolved. */
const NAME_SETTINGS = new Set(['search_path', 'role', 'session_authorization']);
/** Functions that run SQL handed to them as text, which no parser reads before it runs. */
const SQL_TEXT_FUNCTIONS = new Set(['query_to_xml', 'query_to_xmlschema', 'query_to_xml_and_xmlschema', 'ts_stat', 'ts_rewrite']);
/** migseal's own tables (and any schema it may keep them in) are named migseal...; nothing a migration names may start so. */
const HISTORY_NAME = /^migseal/i;

/**
 * Checks one statement, and every statement nested in it that the server will run: the
 * actions of a rule, a data-modifying WITH, the statement EXPLAIN ANALYZE or PREPARE holds,
 * the elements of CREATE SCHEMA, the bodies of functions and DO blocks.
 */
export function checkPostgres(stmt: Statement, file: PgFileState, schema: SchemaModel): Hit[] {
  const hits: Hit[] = [];
  const hit = (rule: string, detail?: string): void => void hits.push({ rule, statement: stmt, ...(detail && { detail }) });
  const existing = (table: string): boolean => table !== '' && !file.created.has(table);
  let strongLockOn = '';

  if (file.transactional && cannotRunInTransaction(stmt.node)) hit('transaction/cannot-run-in-transaction');
  if (file.transactional && isTransactionControl(stmt.node)) hit('transaction/transaction-control');

  visitStatements(stmt.node, (kind, n, functionConfig) => {
    const locked = checkStatement(kind, n, { stmt, file, schema, hit, hits, existing, functionConfig });
    if (locked !== '' && strongLockOn === '') strongLockOn = locked;
  });
  const historyName = historyNameIn(stmt.node);
  if (historyName !== undefined) hit('outside-schema/history-tables', historyName);
  for (const call of calls(stmt.node)) {
    const name = call.name;
    if (SERVER_FILE_FUNCTIONS.has(name)) hit('outside-schema/server-file-function', name);
    else if (DBLINK_FUNCTIONS.has(name)) hit('outside-schema/dblink', name);
    else if (SQL_TEXT_FUNCTIONS.has(name)) hit('parse/dynamic-sql', `${name}() runs SQL given as text`);
    else if (name === 'set_config') {
      const setting = call.firstString;
      if (setting === undefined) hit('parse/tokenizer-setting', 'set_config() with a setting name computed at run time');
      else checkSetting(setting.toLowerCase(), hit, false, 'set_config');
    }
  }
  if (strongLockOn !== '' && existing(strongLockOn) && !file.lockTimeout && !file.lockTimeoutReported) {
    file.lockTimeoutReported = true;
    hit('locking/missing-lock-timeout', strongLockOn);
  }
  return hits;
}

interface StatementScope {
  stmt: Statement;
  file: PgFileState;
  schema: SchemaModel;
  hit: (rule: string, detail?: string) => void;
  hits: Hit[];
  existing: (table: string) => boolean;
  functionConfig: boolean;
}

/** The rules for one statement node; returns the existing table it locks strongly, if any. */
function checkStatement(kind: string, n: Node, scope: StatementScope): string {
  const { file, schema, hit, existing } = scope;
  switch (kind) {
    case 'CreateStmt': {
      const table = relationName(n.relation);
      file.created.add(table);
      for (const e of n.tableElts ?? []) if (e.ColumnDef) schema.setColumn(table, e.ColumnDef.colname, columnTypeOf(e.ColumnDef.typeName));
      return '';
    }
    case 'DropStmt': {
      const names = (n.objects ?? []).map((o: Node) => (o.List?.items ?? [o]).map((i: Node) => i.String?.sval ?? '').join('.'));
      if (n.removeType === 'OBJECT_TABLE') {
        hit('destructive/drop-table', names.join(', '));
        for (const t of names) schema.dropTable(t);
        return names.find(existing) ?? '';
      }
      if (n.removeType === 'OBJECT_SCHEMA') hit('destructive/drop-schema', names.join(', '));
      if (n.removeType === 'OBJECT_INDEX' && n.concurrent !== true) return '(index)';
      return '';
    }
    case 'DropdbStmt':
      hit('destructive/drop-database', n.dbname);
      return '';
    case 'TruncateStmt':
      hit('destructive/truncate', (n.relations ?? []).map((r: Node) => relationName(r.RangeVar)).join(', '));
      return relationName(n.relations?.[0]?.RangeVar);
    case 'DeleteStmt':
      if (!n.whereClause && !n.usingClause) hit('destructive/delete-without-where', relationName(n.relation));
      return '';
    case 'UpdateStmt':
      if (!n.whereClause && !n.fromClause && existing(relationName(n.relation))) hit('destructive/update-without-where', relationName(n.relation));
      // pg_settings is a view whose UPDATE rule calls set_config: any setting, by a name in the WHERE clause.
      if (n.relation?.relname === 'pg_settings') hit('parse/tokenizer-setting', 'UPDATE pg_settings changes settings');
      return '';
    case 'IndexStmt': {
      const table = relationName(n.relation);
      if (n.concurrent !== true && existing(table)) {
        hit('locking/create-index-non-concurrently', table);
        return table;
      }
      return '';
    }
    case 'AlterTableStmt':
      return alterTable(n, hit, existing, schema);
    case 'RenameStmt':
    case 'CreateTrigStmt':
      return relationName(n.relation);
    case 'VariableSetStmt':
      if (n.name === 'lock_timeout' && !scope.functionConfig) file.lockTimeout = true;
      if (typeof n.name === 'string') checkSetting(n.name.toLowerCase(), hit, scope.functionConfig, 'SET');
      return '';
    case 'AlterDatabaseSetStmt':
      if (typeof n.setstmt?.name === 'string') checkSetting(n.setstmt.name.toLowerCase(), hit, false, `ALTER DATABASE ${n.dbname ?? ''} SET`);
      return '';
    case 'AlterSystemStmt':
      hit('outside-schema/alter-system');
      if (typeof n.setstmt?.name === 'string') checkSetting(n.setstmt.name.toLowerCase(), hit, false, 'ALTER SYSTEM SET');
      return '';
    case 'AlterRoleSetStmt':
      hit('outside-schema/role');
      if (typeof n.setstmt?.name === 'string') checkSetting(n.setstmt.name.toLowerCase(), hit, false, 'ALTER ROLE SET');
      return '';
    case 'GrantStmt':
    case 'GrantRoleStmt':
      hit(n.is_grant ? 'outside-schema/grant' : 'outside-schema/revoke');
      return '';
    case 'CreateRoleStmt':
    case 'AlterRoleStmt':
    case 'DropRoleStmt':
      hit('outside-schema/role');
      return '';
    case 'CopyStmt':
      if (n.is_program) hit('outside-schema/copy-program');
      else if (n.filename) hit('outside-schema/copy-server-file', n.filename);
      return '';
    case 'DoStmt':
    case 'CreateFunctionStmt':
      // The statement's own text is the routine's only when the routine is the statement itself.
      scope.hits.push(...checkRoutine(scope.stmt, kind, n, file, schema, file.routineDepth === undefined && unwrap(scope.stmt.node)[1] === n ? scope.stmt.text : undefined));
      return '';
    case 'CreateEventTrigStmt':
      // An event trigger runs on every later DDL statement, migseal's own history tables included.
      hit('outside-schema/history-tables', `event trigger ${n.trigname ?? ''} runs on ${n.eventname ?? 'DDL'}, migseal's own statements included`);
      return '';
    case 'CreateSchemaStmt':
      // CREATE SCHEMA AUTHORIZATION role names the schema after the role: the "$user" entry of search_path.
      if (!n.schemaname) hit('outside-schema/name-resolution', 'a schema named after a role comes first in that role\'s search_path');
      return '';
    case 'CreateExtensionStmt':
      if (n.extname === 'dblink' || n.extname === 'postgres_fdw') hit('outside-schema/dblink', n.extname);
      return '';
    default:
      return '';
  }
}

/** A setting changed by SET, set_config, a function's SET clause, or ALTER DATABASE|ROLE|SYSTEM ... SET. */
function checkSetting(name: string, hit: (rule: string, detail?: string) => void, functionConfig: boolean, how: string): void {
  if (TOKENIZER_SETTINGS.has(name)) hit('parse/tokenizer-setting', `${how} ${name}`);
  // A function's own search_path applies inside it only (and SET search_path = '' there is good practice).
  else if (NAME_SETTINGS.has(name) && !functionConfig) hit('outside-schema/name-resolution', `${how} ${name}`);
}

/**
 * Calls every statement node in a tree (key ending in "Stmt"), the root included. A
 * routine's body is left to checkRoutine, which reads it with the right parser; its SET
 * options are visited as function configuration.
 */
function visitStatements(node: unknown, fn: (kind: string, n: Node, functionConfig: boolean) => void, functionConfig = false): void {
  if (Array.isArray(node)) {
    for (const v of node) visitStatements(v, fn, functionConfig);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  // for...in rather than Object.entries: no array of pairs per node (the trees are plain objects).
  for (const key in node as Node) {
    const value = (node as Node)[key];
    if (value === null || typeof value !== 'object') continue;
    if (key.endsWith('Stmt') && !Array.isArray(value)) {
      fn(key, value as Node, functionConfig);
      if (key === 'DoStmt') continue;
      if (key === 'CreateFunctionStmt') {
        for (const o of (value as Node).options ?? []) if (o.DefElem?.defname === 'set') visitStatements(o, fn, true);
        continue;
      }
    }
    if (key === 'DefElem' && (value as Node).defname === 'set') visitStatements(value, fn, true);
    else visitStatements(value, fn, functionConfig);
  }
}

/** The first name in a tree that reaches migseal's own tables, schemas or functions; bodies (read separately) are skipped. */
function historyNameIn(node: unknown): string | undefined {
  let found: string | undefined;
  const named = (v: unknown): void => {
    if (found === undefined && typeof v === 'string' && HISTORY_NAME.test(v)) found = v;
  };
  const visit = (value: unknown): void => {
    if (found !== undefined) return;
    if (Array.isArray(value)) for (const v of value) visit(v);
    else if (value !== null && typeof value === 'object') {
      for (const key in value as Node) {
        const v = (value as Node)[key];
        if (key === 'DefElem' && (v as Node).defname === 'as') continue;
        if (key === 'A_Const') continue;
        if (key === 'relname' || key === 'schemaname' || key === 'newname' || key === 'newschema' || key === 'catalogname') named(v);
        if (key === 'String') named((v as Node).sval);
        visit(v);
      }
    }
  };
  visit(node);
  return found;
}

/** Applies the rules to each statement inside a DO block or function body, reported at the statement. */
function checkRoutine(stmt: Statement, kind: 'DoStmt' | 'CreateFunctionStmt', n: Node, file: PgFileState, schema: SchemaModel, text: string | undefined): Hit[] {
  if ((file.routineDepth ?? 0) >= MAX_ROUTINE_DEPTH) return [{ rule: 'parse/unreadable-body', statement: stmt, detail: `routines nested more than ${MAX_ROUTINE_DEPTH} deep` }];
  const contents = routineContents(kind, n, text);
  const { where } = contents;
  if (contents.native !== undefined) return [{ rule: 'outside-schema/native-code', statement: stmt, detail: `language ${contents.native}` }];
  if (contents.unreadable !== undefined) return [{ rule: 'parse/unreadable-body', statement: stmt, detail: `${where}: language ${contents.unreadable}` }];
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
  const state: PgFileState = { ...file, transactional: false, routineDepth: (file.routineDepth ?? 0) + 1 };
  for (const node of inner) for (const hit of checkPostgres({ ...stmt, node }, state, schema)) hits.push({ ...hit, statement: stmt, detail: `${where}${hit.detail ? `: ${hit.detail}` : ''}` });
  file.lockTimeoutReported ||= state.lockTimeoutReported;
  return hits;
}
