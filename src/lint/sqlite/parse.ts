/**
 * Reads SQLite SQL with sql-parser-cst's SQLite grammar. When a file does not parse as a
 * whole, it is cut at semicolons outside quotes and comments, and each piece is parsed on
 * its own, so one bad statement becomes one unreadable statement. The grammar is loaded on
 * first use only: it is large, and PostgreSQL folders never need it.
 */
import { createRequire } from 'node:module';
import type { parse as ParseFn } from 'sql-parser-cst';
import { lineAt, skipTrivia } from '../source-text.js';
import { readCommonDdl } from './common-ddl.js';
import type { Statement } from '../types.js';

interface CstStatement {
  type: string;
  range?: [number, number];
}

const OPTIONS = { dialect: 'sqlite', includeRange: true } as const;
let loaded: typeof ParseFn | undefined;

function parse(sql: string, options: typeof OPTIONS): ReturnType<typeof ParseFn> {
  loaded ??= (createRequire(import.meta.url)('sql-parser-cst') as { parse: typeof ParseFn }).parse;
  return loaded(sql, options);
}

/**
 * The grammar backtracks through every reading of each open parenthesis, so a statement that
 * fails to parse costs twice as much per level of nesting: 20 levels take seconds, 30 take
 * hours (`SELECT ((((…` with no closing one, or an error deep inside). A statement whose
 * parentheses do not balance cannot be SQL and is not parsed; one nested deeper than this is
 * not parsed either (valid SQL so deep is rare, and it is reported, never passed silently).
 */
const MAX_PAREN_DEPTH = 12;
/** Failed statements nested deeper than this, per script, after which the deep ones left are not parsed. */
const DEEP = 6;
const MAX_DEEP_FAILURES = 4;

/** Whether a whole script may go to the parser at once: its parentheses balance and nest at most MAX_PAREN_DEPTH deep. */
function parsableWhole(text: string): boolean {
  const { balanced, depth } = parens(text, 0, text.length);
  return balanced && depth <= MAX_PAREN_DEPTH;
}

/**
 * The statements of a script: the most common statements are read without the grammar
 * (common-ddl.ts, which answers exactly as the grammar would, or not at all), the rest by it.
 */
export function parseSqlite(text: string): Statement[] {
  return readCommonSqlite(text) ?? parseSqliteByGrammar(text);
}

/** The statements of a script of common statements only, read without the grammar; undefined for any other script. */
export function readCommonSqlite(text: string): Statement[] | undefined {
  const common = readCommonDdl(text);
  return common && fromProgram(text, 0, common);
}

/** The statements of a script as the grammar reads them. */
export function parseSqliteByGrammar(text: string): Statement[] {
  if (parsableWhole(text)) {
    try {
      return fromProgram(text, 0, parse(text, OPTIONS).statements as CstStatement[]);
    } catch {
      // read statement by statement below
    }
  }
  const out: Statement[] = [];
  let from = 0;
  let deepFailures = 0;
  for (const cut of [...cutPoints(text), text.length]) {
    const start = skipTrivia(text, from, cut);
    if (start < cut) {
      const unreadable = (error: string): Statement => ({ start, end: cut, gapStart: from, line: lineAt(text, start), text: text.slice(start, cut).trim(), error });
      const { balanced, depth } = parens(text, from, cut);
      if (!balanced) out.push(unreadable('its parentheses do not balance'));
      else if (depth > MAX_PAREN_DEPTH) out.push(unreadable(`it nests parentheses more than ${MAX_PAREN_DEPTH} deep and was not parsed`));
      else if (depth > DEEP && deepFailures >= MAX_DEEP_FAILURES) out.push(unreadable(`it nests parentheses more than ${DEEP} deep after ${MAX_DEEP_FAILURES} such statements that did not parse, and was not parsed`));
      else {
        try {
          out.push(...fromProgram(text, from, parse(text.slice(from, cut), OPTIONS).statements as CstStatement[]));
        } catch (error) {
          if (depth > DEEP) deepFailures++;
          out.push(unreadable((error as Error).message.split('\n')[0] ?? 'syntax error'));
        }
      }
    }
    from = cut + 1;
  }
  return out;
}

/**
 * Parses many scripts in few calls, each script exactly as parseSqlite would: the parser
 * sets up thousands of closures on every call, which costs far more than reading a short
 * script. The scripts are joined with a marker statement after each; a marker found whole,
 * exactly where it was put, proves the script before it ended at its own end (no comment,
 * string or trigger body ran into the next). When a batch fails, the scripts before the
 * one it failed in are parsed again as a batch and that one alone; batches start small
 * after a failure and grow while scripts parse, so a folder SQLite cannot read is parsed
 * about one script at a time, as before.
 */
export function parseSqliteMany(texts: readonly string[]): Statement[][] {
  const out = texts.map((text) => {
    const common = readCommonDdl(text);
    return common && fromProgram(text, 0, common);
  });
  const rest = out.flatMap((statements, i) => (statements ? [] : [i]));
  const parsed = parseSqliteManyByGrammar(rest.map((i) => texts[i]!));
  rest.forEach((i, k) => (out[i] = parsed[k]));
  return out as Statement[][];
}

/** parseSqliteMany with the grammar only. */
export function parseSqliteManyByGrammar(texts: readonly string[]): Statement[][] {
  const out: Statement[][] = [];
  const parsable = texts.map(parsableWhole);
  let size = MAX_BATCH;
  for (let i = 0; i < texts.length; ) {
    // A script the parser must not get whole is read on its own (parseSqlite), never in a batch.
    let end = i;
    while (end < Math.min(i + size, texts.length) && parsable[end]) end++;
    const batch = texts.slice(i, Math.max(end, i + 1));
    if (batch.length === 1) {
      const statements = parseSqliteByGrammar(batch[0]!);
      out.push(statements);
      i += 1;
      size = statements.some((s) => s.error !== undefined) ? 1 : 2;
      continue;
    }
    const result = parseBatch(batch);
    if (Array.isArray(result)) {
      out.push(...result);
      i += batch.length;
      size = Math.min(size * 2, MAX_BATCH);
      continue;
    }
    // The batch failed in script `result.failedIn` (or no later than it): those before it together, it alone.
    const failed = Math.min(Math.max(result.failedIn, 0), batch.length - 1);
    out.push(...parseSqliteManyByGrammar(batch.slice(0, failed)), parseSqliteByGrammar(batch[failed]!));
    i += failed + 1;
    size = Math.max(failed, 1);
  }
  return out;
}

const MAX_BATCH = 64;
/** What follows each script in a batch: an end to its last statement, and a marker statement. */
const MARKER = 'SELECT 0';
const SEPARATOR = `\n;${MARKER};\n`;

function parseBatch(texts: readonly string[]): Statement[][] | { failedIn: number } {
  const starts: number[] = [];
  let joined = '';
  for (const text of texts) {
    starts.push(joined.length);
    joined += text + SEPARATOR;
  }
  let statements: CstStatement[];
  try {
    statements = parse(joined, OPTIONS).statements as CstStatement[];
  } catch (error) {
    // The message names the line the parser stopped on ("--> undefined:LINE:COLUMN").
    const line = Number(/^--> .*:([0-9]+):[0-9]+$/m.exec((error as Error).message)?.[1] ?? 1);
    const offset = lineStart(joined, line);
    return { failedIn: starts.findLastIndex((start) => start <= offset) };
  }
  const out: Statement[][] = [];
  let own: CstStatement[] = [];
  for (const s of statements) {
    const k = out.length;
    const [a, b] = s.range ?? [-1, -1];
    const inside = k < texts.length && a >= starts[k]! && b <= starts[k]! + texts[k]!.length;
    const marker = k < texts.length ? starts[k]! + texts[k]!.length + 2 : -1;
    if (a === marker && b === marker + MARKER.length && s.type === 'select_stmt') {
      out.push(fromProgram(texts[k]!, 0, own.map((o) => shiftRanges(o, starts[k]!))));
      own = [];
    } else if (inside) own.push(s);
    // Only the empty statements between a script's last ';' and its marker, or after the last marker, lie outside every script.
    else if (s.type !== 'empty') return { failedIn: k };
  }
  return out.length === texts.length ? out : { failedIn: out.length };
}

/** Where a 1-based line starts, counting line breaks as the parser's message does. */
function lineStart(text: string, line: number): number {
  const breaks = /\r\n|\n|\r/g;
  for (let n = 1; n < line; n++) if (!breaks.exec(text)) return text.length;
  return breaks.lastIndex;
}

/** Makes every range in a statement's tree relative to its own script, as a parse of that script alone gives. */
function shiftRanges(node: CstStatement, by: number): CstStatement {
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) visit(v);
    } else if (value !== null && typeof value === 'object') {
      const n = value as Record<string, unknown>;
      for (const key in n) {
        const v = n[key];
        if (key === 'range' && Array.isArray(v)) n[key] = [(v[0] as number) - by, (v[1] as number) - by];
        else visit(v);
      }
    }
  };
  visit(node);
  return node;
}

function fromProgram(text: string, offset: number, statements: CstStatement[]): Statement[] {
  const out: Statement[] = [];
  let gapStart = offset;
  for (const s of statements) {
    const [a, b] = s.range ?? [0, 0];
    if (s.type !== 'empty') {
      const start = offset + a;
      out.push({ start, end: offset + b, gapStart, line: lineAt(text, skipTrivia(text, start)), text: text.slice(start, offset + b).trim(), node: s });
    }
    gapStart = offset + b;
  }
  return out;
}

/** Semicolons outside strings, quoted names and comments. */
function cutPoints(text: string): number[] {
  const cuts: number[] = [];
  eachCodeChar(text, 0, text.length, (c, i) => {
    if (c === ';') cuts.push(i);
  });
  return cuts;
}

/** Whether the parentheses outside strings, quoted names and comments of text[from, to) balance, and how deep they nest. */
function parens(text: string, from: number, to: number): { balanced: boolean; depth: number } {
  let open = 0;
  let depth = 0;
  let balanced = true;
  eachCodeChar(text, from, to, (c) => {
    if (c === '(') depth = Math.max(depth, ++open);
    else if (c === ')' && --open < 0) balanced = false;
  });
  return { balanced: balanced && open === 0, depth };
}

/** Calls `code` with each character of text[from, to) that is outside strings, quoted names and comments. */
function eachCodeChar(text: string, from: number, to: number, code: (c: string, i: number) => void): void {
  for (let i = from; i < to; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = text.indexOf(c === '[' ? ']' : c, i + 1);
      i = close < 0 ? to : close;
    } else if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? to : nl;
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? to : close + 1;
    } else code(c, i);
  }
}
