/** Picks the dialect's parser, and decides which dialect a folder marked "any" is written in. */
import { parsePostgres } from './pg/parse.js';
import { parseSqlite, parseSqliteMany } from './sqlite/parse.js';
import type { LintDialect, Statement } from './types.js';
import { LIMITS } from '../limits.js';

/**
 * Parses a script. Packing asks for the same script several times (the layout's transaction
 * mode, the dialect guess, the analysis), so results are kept for the life of the process,
 * up to a bound; callers get fresh arrays.
 */
export function parseStatements(text: string, dialect: LintDialect): Statement[] {
  const key = `${dialect}\u0000${text}`;
  let parsed = PARSED.get(key);
  if (!parsed) {
    parsed = remember(key, text.length > LIMITS.maxAnalyzedScriptChars ? [tooLarge(text)] : dialect === 'postgres' ? parsePostgres(text) : parseSqlite(text));
  }
  return parsed.map((s) => ({ ...s }));
}

/**
 * Parses the scripts a caller is about to ask for, all at once where the dialect's parser
 * is faster so (SQLite's: see parseSqliteMany); the same statements as one parseStatements
 * per script.
 */
export function parseAhead(texts: readonly string[], dialect: LintDialect): void {
  if (dialect !== 'sqlite') return;
  const missing = [...new Set(texts)].filter((t) => t.length <= LIMITS.maxAnalyzedScriptChars && !PARSED.has(`${dialect}\u0000${t}`));
  parseSqliteMany(missing).forEach((statements, i) => remember(`${dialect}\u0000${missing[i]!}`, statements));
}

function remember(key: string, statements: Statement[]): Statement[] {
  // The gap before a statement runs from the end of the one before it (or the top of the file).
  const parsed = statements.map((s, i) => ({ ...s, gapStart: i === 0 ? 0 : statements[i - 1]!.end }));
  if (PARSED.size >= MAX_CACHED_SCRIPTS) PARSED.clear();
  PARSED.set(key, parsed);
  return parsed;
}

/** A script too large to parse is one unreadable statement: reported, never silently passed. */
function tooLarge(text: string): Statement {
  return { start: 0, end: text.length, gapStart: 0, line: 1, text: text.slice(0, 200), error: `the script is larger than ${LIMITS.maxAnalyzedScriptChars} characters and was not parsed` };
}

const MAX_CACHED_SCRIPTS = 20_000;
const PARSED = new Map<string, Statement[]>();

/** For a folder that names no dialect: the parser that reads the most statements, PostgreSQL on a tie. */
export function guessDialect(texts: readonly string[]): LintDialect {
  const unreadable = (d: LintDialect): number => texts.reduce((n, t) => n + parseStatements(t, d).filter((s) => s.error !== undefined).length, 0);
  const pg = unreadable('postgres');
  return pg === 0 || pg <= unreadable('sqlite') ? 'postgres' : 'sqlite';
}
