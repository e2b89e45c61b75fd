/**
 * The SQL inside DO blocks and function bodies, read with PostgreSQL's own parsers (PL/pgSQL
 * and SQL), so a statement cannot hide from the rules by being wrapped in an anonymous block
 * or a function the migration then calls. SQL built at run time (EXECUTE) cannot be read by
 * any parser and is reported as such; so is code in C or an untrusted language.
 */
import { parsePlPgSQLSync } from './libpg.js';

type Node = Record<string, any>;

export interface RoutineContents {
  where: string;
  /** Static SQL statements and expressions in the body, as text to parse. */
  sql: string[];
  /** Statements the parser already read (a BEGIN ATOMIC body). */
  nodes: unknown[];
  dynamic: boolean;
  /** The language, when it runs code outside the database's control (C, internal, untrusted languages). */
  native?: string;
  /** The language, when the body is code no parser here reads (PL/Perl, PL/Tcl, PL/v8, ...). */
  unreadable?: string;
  error?: string;
}

/**
 * `text` is the statement itself: a function is parsed as written, a DO block (or a function
 * defined inside another routine, whose text is not at hand) inside a wrapper.
 */
export function routineContents(kind: 'DoStmt' | 'CreateFunctionStmt', n: Node, text: string | undefined): RoutineContents {
  const options: Node[] = (kind === 'DoStmt' ? n.args : n.options) ?? [];
  const option = (name: string): Node | undefined => options.find((o) => o.DefElem?.defname === name)?.DefElem?.arg;
  const language = String(option('language')?.String?.sval ?? (kind === 'DoStmt' ? 'plpgsql' : 'sql')).toLowerCase();
  const as = option('as');
  const body: unknown = kind === 'DoStmt' ? as?.String?.sval : as?.List?.items?.[0]?.String?.sval;
  const where = kind === 'DoStmt' ? 'in the DO block' : `in the body of ${(n.funcname ?? []).map((p: Node) => p.String?.sval).join('.')}`;
  const out: RoutineContents = { where, sql: [], nodes: [], dynamic: false };
  if (language === 'c' || language === 'internal' || /^pl[a-z0-9]*u$/.test(language)) return { ...out, native: language };
  if (language === 'sql') {
    if (typeof body === 'string') out.sql.push(body);
    for (const item of n.sql_body?.List?.items ?? []) for (const s of item.List?.items ?? [item]) out.nodes.push(s);
    return out;
  }
  if (language !== 'plpgsql') return { ...out, unreadable: language };
  if (typeof body !== 'string') return { ...out, error: 'the body is not one string' };
  let tag = 'migseal';
  while (body.includes(`$${tag}$`)) tag += '_';
  let tree: unknown;
  try {
    tree = parsePlPgSQLSync(kind === 'DoStmt' || text === undefined ? `CREATE FUNCTION pg_temp.migseal_do() RETURNS void LANGUAGE plpgsql AS $${tag}$${body}$${tag}$` : text);
  } catch (error) {
    return { ...out, error: error instanceof Error ? error.message : String(error) };
  }
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) for (const v of value) visit(v);
    else if (value !== null && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (key === 'PLpgSQL_stmt_dynexecute' || key === 'PLpgSQL_stmt_dynfors') out.dynamic = true;
        if (key === 'PLpgSQL_expr') {
          const e = v as { query?: string; parseMode?: number };
          if (typeof e.query === 'string') {
            const sql = asStatement(e.query, e.parseMode ?? 0);
            if (sql !== undefined) out.sql.push(sql);
          }
        }
        visit(v);
      }
    }
  };
  visit(tree);
  return out;
}

/** PL/pgSQL expressions as statements: 0 a statement, 1 a type name, 2 an expression, 3-5 `target := expression`. */
function asStatement(query: string, parseMode: number): string | undefined {
  if (parseMode === 0) return query;
  if (parseMode === 1) return undefined;
  if (parseMode === 2) return `SELECT ${query}`;
  const m = /^[^:=]*?(:=|=)/s.exec(query);
  return `SELECT ${m ? query.slice(m[0].length) : query}`;
}
