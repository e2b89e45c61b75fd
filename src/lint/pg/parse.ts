/**
 * Reads PostgreSQL SQL with PostgreSQL's own parser (libpg_query, compiled to WebAssembly).
 * The module loads once, when this file is first initialised (./libpg.ts). When a file does
 * not parse as a whole, it is cut at the scanner's semicolons and each piece is parsed on its
 * own, so one bad statement becomes one unreadable statement and the rest are still checked.
 */
import { parseSync, scanSync } from './libpg.js';
import { readCommonPgDdl } from './common-ddl.js';
import { byteToCharIndex, lineAt, skipTrivia } from '../source-text.js';
import type { Statement } from '../types.js';

interface RawStmt {
  stmt?: Record<string, unknown>;
  stmt_location?: number;
  stmt_len?: number;
}

export function parsePostgres(text: string): Statement[] {
  const toChar = byteToCharIndex(text);
  let raw: RawStmt[];
  try {
    // The most common statements are read without the parser, exactly as it reads them (./common-ddl.ts).
    raw = readCommonPgDdl(text) ?? (parseSync(text) as { stmts?: RawStmt[] }).stmts ?? [];
  } catch {
    return parsePieces(text, toChar);
  }
  return fromRaw(text, raw, toChar);
}

/** The statements of a script of common statements only, read without the parser; undefined for any other script. */
export function readCommonPostgres(text: string): Statement[] | undefined {
  const raw = readCommonPgDdl(text);
  // The reader reads ASCII only: byte offsets are character offsets.
  return raw && fromRaw(text, raw, (b) => b);
}

function fromRaw(text: string, raw: RawStmt[], toChar: (b: number) => number): Statement[] {
  const bytes = Buffer.byteLength(text);
  return raw.map((s) => {
    const loc = s.stmt_location ?? 0;
    const endByte = s.stmt_len === undefined || s.stmt_len === 0 ? bytes : loc + s.stmt_len;
    return statement(text, toChar(loc), toChar(endByte), s.stmt ?? {});
  });
}

function parsePieces(text: string, toChar: (b: number) => number): Statement[] {
  let cuts: number[];
  try {
    cuts = scanSync(text).tokens.filter((t) => t.tokenName === 'ASCII_59').map((t) => toChar(t.start));
  } catch (error) {
    const start = skipTrivia(text, 0);
    return [unreadable(text, 0, start, text.length, messageOf(error))];
  }
  const out: Statement[] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    const start = skipTrivia(text, from, cut);
    if (start < cut) {
      const piece = text.slice(start, cut);
      try {
        const stmts = (parseSync(piece) as { stmts?: RawStmt[] }).stmts ?? [];
        for (const s of stmts) out.push({ ...statement(text, from, cut, s.stmt ?? {}) });
      } catch (error) {
        out.push(unreadable(text, from, start, cut, messageOf(error)));
      }
    }
    from = cut + 1;
  }
  return out;
}

function statement(text: string, gapStart: number, end: number, node: Record<string, unknown>): Statement {
  const start = skipTrivia(text, gapStart, end);
  return { start, end, gapStart, line: lineAt(text, start), text: text.slice(start, end).trim(), node };
}

function unreadable(text: string, gapStart: number, start: number, end: number, error: string): Statement {
  return { start, end, gapStart, line: lineAt(text, start), text: text.slice(start, end).trim(), error };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
