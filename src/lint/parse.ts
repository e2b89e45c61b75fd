/** Picks the dialect's parser, and decides which dialect a folder marked "any" is written in. */
import { parsePostgres } from './pg/parse.js';
import { parseSqlite } from './sqlite/parse.js';
import type { LintDialect, Statement } from './types.js';

export function parseStatements(text: string, dialect: LintDialect): Statement[] {
  const statements = dialect === 'postgres' ? parsePostgres(text) : parseSqlite(text);
  // The gap before a statement runs from the end of the one before it (or the top of the file).
  return statements.map((s, i) => ({ ...s, gapStart: i === 0 ? 0 : statements[i - 1]!.end }));
}

/** For a folder that names no dialect: the parser that reads the most statements, PostgreSQL on a tie. */
export function guessDialect(texts: readonly string[]): LintDialect {
  const unreadable = (d: LintDialect): number => texts.reduce((n, t) => n + parseStatements(t, d).filter((s) => s.error !== undefined).length, 0);
  const pg = unreadable('postgres');
  return pg === 0 || pg <= unreadable('sqlite') ? 'postgres' : 'sqlite';
}
