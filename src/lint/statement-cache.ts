/**
 * Parsed scripts, kept for the life of the process up to a bound (packing asks for the same
 * script several times: the layout's transaction mode, the dialect guess, the analysis);
 * callers get fresh arrays. The cache imports no parser: the caller passes the dialect's
 * own, so a command that reads one dialect loads only that dialect's parser.
 */
import { LIMITS } from '../limits.js';
import type { LintDialect, Statement } from './types.js';

export function cachedStatements(text: string, dialect: LintDialect, parse: (text: string) => Statement[]): Statement[] {
  const key = `${dialect}\u0000${text}`;
  let parsed = PARSED.get(key);
  if (!parsed) parsed = remember(key, text.length > LIMITS.maxAnalyzedScriptChars ? [tooLarge(text)] : parse(text));
  return parsed.map((s) => ({ ...s }));
}

export function isCached(text: string, dialect: LintDialect): boolean {
  return PARSED.has(`${dialect}\u0000${text}`);
}

/** Keeps statements parsed ahead, in a batch (see parseAhead in ./parse.ts). */
export function rememberStatements(text: string, dialect: LintDialect, statements: Statement[]): void {
  remember(`${dialect}\u0000${text}`, statements);
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
