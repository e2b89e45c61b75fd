/**
 * The SQL inside a DO block, read with PostgreSQL's PL/pgSQL parser, so a statement cannot
 * hide from the rules by being wrapped in an anonymous block. SQL built at run time
 * (EXECUTE) cannot be read by any parser and is reported as such.
 */
import { loadModule, parsePlPgSQLSync } from 'libpg-query';

await loadModule();

export interface BlockContents {
  /** Static SQL statements and expressions in the block, as text. */
  sql: string[];
  dynamic: boolean;
  error?: string;
}

export function doBlockContents(doStmt: Record<string, any>): BlockContents | undefined {
  const args: Array<Record<string, any>> = doStmt.args ?? [];
  const language = args.find((a) => a.DefElem?.defname === 'language')?.DefElem?.arg?.String?.sval ?? 'plpgsql';
  const body = args.find((a) => a.DefElem?.defname === 'as')?.DefElem?.arg?.String?.sval;
  if (typeof body !== 'string' || language.toLowerCase() !== 'plpgsql') return undefined;
  let tag = 'migseal';
  while (body.includes(`$${tag}$`)) tag += '_';
  let tree: unknown;
  try {
    tree = parsePlPgSQLSync(`CREATE FUNCTION pg_temp.migseal_do() RETURNS void LANGUAGE plpgsql AS $${tag}$${body}$${tag}$`);
  } catch (error) {
    return { sql: [], dynamic: false, error: error instanceof Error ? error.message : String(error) };
  }
  const out: BlockContents = { sql: [], dynamic: false };
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) for (const v of value) visit(v);
    else if (value !== null && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (key === 'PLpgSQL_stmt_dynexecute' || key === 'PLpgSQL_stmt_dynfors') out.dynamic = true;
        if (key === 'PLpgSQL_expr') {
          const e = v as { query?: string; parseMode?: number };
          if (typeof e.query === 'string') out.sql.push(e.parseMode ? `SELECT ${e.query}` : e.query);
        }
        visit(v);
      }
    }
  };
  visit(tree);
  return out;
}
