/** Picks the dialect's parser, and decides which dialect a folder marked "any" is written in. */
import { parsePostgres } from './pg/parse.js';
import { parseSqlite } from './sqlite/parse.js';
import type { LintDialect, Statement } from './types.js';

export function parseStatements(text: string, dialect: LintDialect): Statement[] {
  return dialect === 'postgres' ? parsePostgres(text) : parseSqlite(text);
}

/** For a folder that names no dialect: the parser that reads the most statements, PostgreSQL on a tie. */
export function guessDialect(texts: readonly string[]): LintDialect {
  const unreadable = (d: LintDialect): number => texts.reduce((n, t) => n + parseStatements(t, d).filter((s) => s.error !== undefined).length, 0);
  const pg = unreadable('postgres');
  return pg === 0 || pg <= unreadable('sqlite') ? 'postgres' : 'sqlite';
}
