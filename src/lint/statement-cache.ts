/**
 * Parsed scripts, kept for the life of the process up to a bound (packing asks for the same
 * script several times: the layout's transaction mode, the dialect guess, the analysis);
 * callers get fresh arrays. The cache imports no parser: the caller passes the dialect's
 * own, so a command that reads one dialect loads only that dialect's parser.
 *
 * Scripts the common-statement readers read (./pg/common-ddl.ts, ./sqlite/common-ddl.ts) are
 * not kept: reading one again costs microseconds, while the trees of thousands of scripts
 * kept to the end of a pack were most of its garbage collection. Only those parsed ahead in
 * one batch are held, until the next batch.
 */
import { LIMITS } from '../limits.js';
import type { LintDialect, Statement } from './types.js';

export function cachedStatements(text: string, dialect: LintDialect, parse: (text: string) => Statement[], readCommon?: (text: string) => Statement[] | undefined): Statement[] {
  if (text.length > LIMITS.maxAnalyzedScriptChars) return [tooLarge(text)];
  const key = `${dialect}\u0000${text}`;
  const parsed = PARSED.get(key) ?? AHEAD.get(key);
  if (parsed) return parsed.map((s) => ({ ...s }));
  const common = readCommon?.(text);
  if (common) return withGaps(common);
  return remember(key, parse(text)).map((s) => ({ ...s }));
}

export function isCached(text: string, dialect: LintDialect): boolean {
  return PARSED.has(`${dialect}\u0000${text}`);
}

/** Keeps statements parsed ahead, in a batch (see parseAhead in ./parse.ts). */
export function rememberStatements(text: string, dialect: LintDialect, statements: Statement[]): void {
  remember(`${dialect}\u0000${text}`, statements);
}

/** Holds a batch's scripts of common statements until the next batch (see parseAhead in ./parse.ts). */
export function holdAhead(dialect: LintDialect, batch: ReadonlyArray<readonly [string, Statement[]]>): void {
  AHEAD.clear();
  for (const [text, statements] of batch) AHEAD.set(`${dialect}\u0000${text}`, withGaps(statements));
}

function remember(key: string, statements: Statement[]): Statement[] {
  const parsed = withGaps(statements);
  if (PARSED.size >= MAX_CACHED_SCRIPTS) PARSED.clear();
  PARSED.set(key, parsed);
  return parsed;
}

/** The gap before a statement runs from the end of the one before it (or the top of the file). */
function withGaps(statements: Statement[]): Statement[] {
  return statements.map((s, i) => ({ ...s, gapStart: i === 0 ? 0 : statements[i - 1]!.end }));
}

/** A script too large to parse is one unreadable statement: reported, never silently passed. */
function tooLarge(text: string): Statement {
  return { start: 0, end: text.length, gapStart: 0, line: 1, text: text.slice(0, 200), error: `the script is larger than ${LIMITS.maxAnalyzedScriptChars} characters and was not parsed` };
}

const MAX_CACHED_SCRIPTS = 20_000;
const PARSED = new Map<string, Statement[]>();
const AHEAD = new Map<string, Statement[]>();
