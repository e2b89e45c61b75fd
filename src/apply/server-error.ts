/**
 * What the database said about a failed script, in the operator's terms: PostgreSQL's DETAIL
 * and HINT, its error position turned into the script's line and column, and the first line
 * of the statement it points at. Pure: the error and the script's text.
 */
const MAX_LINE = 160;

interface ServerError {
  position?: string | number;
  detail?: string;
  hint?: string;
}

/** " at line 4, column 13 (INSERT INTO no_such_table VALUES (1);). DETAIL: …. HINT: …", or "". */
export function serverErrorContext(cause: unknown, sql: string): string {
  const e = (cause ?? {}) as ServerError;
  const parts: string[] = [];
  const at = Number(e.position);
  if (Number.isSafeInteger(at) && at >= 1 && sql !== '') {
    const { line, column, statement } = locate(sql, at);
    parts.push(` at line ${line}, column ${column}${statement ? ` (${statement})` : ''}`);
  }
  let text = parts.join('');
  if (typeof e.detail === 'string' && e.detail !== '') text += `. DETAIL: ${e.detail.replace(/\.$/, '')}`;
  if (typeof e.hint === 'string' && e.hint !== '') text += `. HINT: ${e.hint.replace(/\.$/, '')}`;
  return text;
}

/** PostgreSQL counts the position in characters from 1. */
function locate(sql: string, position: number): { line: number; column: number; statement: string } {
  const chars = Array.from(sql);
  const index = Math.min(position - 1, chars.length);
  const before = chars.slice(0, index).join('');
  const line = before.split('\n').length;
  const column = index - (before.lastIndexOf('\n') + 1) + 1;
  // The statement starts after the last semicolon before the position; its first line that is not blank or a comment.
  const start = before.lastIndexOf(';') + 1;
  const rest = chars.slice(0, chars.length).join('').slice(start);
  const first = rest.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('--')) ?? '';
  return { line, column, statement: first.length > MAX_LINE ? `${first.slice(0, MAX_LINE)}…` : first };
}
