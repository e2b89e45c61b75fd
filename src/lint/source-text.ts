/** Small helpers over SQL text: lines, offsets, and the comments between statements. */

export function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Maps UTF-8 byte offsets (what libpg_query reports) to string indices. */
export function byteToCharIndex(text: string): (byte: number) => number {
  if (Buffer.byteLength(text) === text.length) return (b) => b;
  const map: number[] = [];
  let byte = 0;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < size; k++) map[byte + k] = i;
    byte += size;
    if (cp >= 0x10000) i++;
  }
  return (b) => (b >= byte ? text.length : map[b]!);
}

/** Skips whitespace, semicolons and comments from index; returns the first code index. */
export function skipTrivia(text: string, index: number, end = text.length): number {
  let i = index;
  while (i < end) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === ';' || c === '\f') i++;
    else if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? end : nl + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < end && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') (depth++, (i += 2));
        else if (text[i] === '*' && text[i + 1] === '/') (depth--, (i += 2));
        else i++;
      }
    } else break;
  }
  return Math.min(i, end);
}

export interface Comment {
  start: number;
  text: string;
}

/** The comments in a stretch of text that holds only whitespace, semicolons and comments. */
export function commentsIn(text: string, from: number, to: number): Comment[] {
  const out: Comment[] = [];
  let i = from;
  while (i < to) {
    if (text[i] === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      const stop = nl < 0 || nl > to ? to : nl;
      out.push({ start: i, text: text.slice(i + 2, stop) });
      i = stop;
    } else if (text[i] === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      const stop = close < 0 || close > to ? to : close;
      out.push({ start: i, text: text.slice(i + 2, stop) });
      i = stop + 2;
    } else i++;
  }
  return out;
}

/**
 * One line, whitespace collapsed, credentials removed, at most 200 characters: what a report
 * and the manifest show of a statement (a CREATE ROLE ... PASSWORD must not reach CI logs).
 */
export function excerpt(statement: string): string {
  const flat = statement
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/(\bpassword\s+)('(?:[^']|'')*'|\$([A-Za-z_]*)\$[\s\S]*?\$\3\$)/gi, "$1'***'")
    .replace(/(password\s*=\s*)('[^']*'|"[^"]*"|[^\s',)]+)/gi, '$1***')
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}
