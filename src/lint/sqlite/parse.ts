/**
 * Reads SQLite SQL with sql-parser-cst's SQLite grammar. When a file does not parse as a
 * whole, it is cut at semicolons outside quotes and comments, and each piece is parsed on
 * its own, so one bad statement becomes one unreadable statement. The grammar is loaded on
 * first use only: it is large, and PostgreSQL folders never need it.
 */
import { createRequire } from 'node:module';
import type { parse as ParseFn } from 'sql-parser-cst';
import { lineAt, skipTrivia } from '../source-text.js';
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

export function parseSqlite(text: string): Statement[] {
  try {
    return fromProgram(text, 0, parse(text, OPTIONS).statements as CstStatement[]);
  } catch {
    const out: Statement[] = [];
    let from = 0;
    for (const cut of [...cutPoints(text), text.length]) {
      const start = skipTrivia(text, from, cut);
      if (start < cut) {
        try {
          out.push(...fromProgram(text, from, parse(text.slice(from, cut), OPTIONS).statements as CstStatement[]));
        } catch (error) {
          out.push({ start, end: cut, gapStart: from, line: lineAt(text, start), text: text.slice(start, cut).trim(), error: (error as Error).message.split('\n')[0] ?? 'syntax error' });
        }
      }
      from = cut + 1;
    }
    return out;
  }
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
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = text.indexOf(c === '[' ? ']' : c, i + 1);
      i = close < 0 ? text.length : close;
    } else if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 1;
    } else if (c === ';') cuts.push(i);
  }
  return cuts;
}
