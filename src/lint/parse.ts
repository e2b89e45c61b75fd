/** Picks the dialect's parser, and decides which dialect a folder marked "any" is written in. */
import { parsePostgres, readCommonPostgres } from './pg/parse.js';
import { parseSqlite, parseSqliteManyByGrammar, readCommonSqlite } from './sqlite/parse.js';
import { cachedStatements, holdAhead, isCached, rememberStatements } from './statement-cache.js';
import type { LintDialect, Statement } from './types.js';
import { LIMITS } from '../limits.js';

/** Parses a script (kept for the life of the process: ./statement-cache.ts); callers get fresh arrays. */
export function parseStatements(text: string, dialect: LintDialect): Statement[] {
  return dialect === 'postgres' ? cachedStatements(text, dialect, parsePostgres, readCommonPostgres) : cachedStatements(text, dialect, parseSqlite, readCommonSqlite);
}

/**
 * Parses the scripts a caller is about to ask for, all at once where the dialect's parser
 * is faster so (SQLite's grammar: see parseSqliteManyByGrammar); the same statements as one
 * parseStatements per script.
 */
export function parseAhead(texts: readonly string[], dialect: LintDialect): void {
  if (dialect !== 'sqlite') return;
  const missing = [...new Set(texts)].filter((t) => t.length <= LIMITS.maxAnalyzedScriptChars && !isCached(t, dialect));
  const common: Array<[string, Statement[]]> = [];
  const rest: string[] = [];
  for (const text of missing) {
    const statements = readCommonSqlite(text);
    if (statements) common.push([text, statements]);
    else rest.push(text);
  }
  holdAhead(dialect, common);
  parseSqliteManyByGrammar(rest).forEach((statements, i) => rememberStatements(rest[i]!, dialect, statements));
}

/** For a folder that names no dialect: the parser that reads the most statements, PostgreSQL on a tie. */
export function guessDialect(texts: readonly string[]): LintDialect {
  const unreadable = (d: LintDialect): number => texts.reduce((n, t) => n + parseStatements(t, d).filter((s) => s.error !== undefined).length, 0);
  const pg = unreadable('postgres');
  return pg === 0 || pg <= unreadable('sqlite') ? 'postgres' : 'sqlite';
}
