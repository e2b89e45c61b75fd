/**
 * Atlas's integrity file, atlas.sum, computed exactly as Atlas does: the migration files sorted
 * by name; one running SHA-256 fed each file's name and then its bytes; after each file the
 * running hash so far (base64) is that file's line; the first line is `h1:` and the base64
 * SHA-256 of every name and line hash concatenated. A file whose first line carries
 * `atlas:sum ignore` adds only its name to the running hash and gets no line.
 */
import { createHash } from 'node:crypto';

export interface SumLine {
  name: string;
  hash: string;
}

export function atlasSumLines(files: ReadonlyArray<{ name: string; bytes: Buffer }>): SumLine[] {
  const running = createHash('sha256');
  const lines: SumLine[] = [];
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    running.update(f.name);
    if (sumIgnored(f.bytes)) continue;
    running.update(f.bytes);
    lines.push({ name: f.name, hash: running.copy().digest('base64') });
  }
  return lines;
}

export function atlasSumTotal(lines: readonly SumLine[]): string {
  const h = createHash('sha256');
  for (const l of lines) h.update(l.name).update(l.hash);
  return h.digest('base64');
}

export function formatAtlasSum(lines: readonly SumLine[]): string {
  return `h1:${atlasSumTotal(lines)}\n${lines.map((l) => `${l.name} h1:${l.hash}\n`).join('')}`;
}

/** Reads atlas.sum the way Atlas does; undefined when its first line is not `h1:…` or a line lacks `h1:`. */
export function parseAtlasSum(text: string): { total: string; lines: SumLine[] } | undefined {
  const rows = text.split('\n');
  if (rows[rows.length - 1] === '') rows.pop();
  const first = rows.shift();
  if (first === undefined || !first.startsWith('h1:')) return undefined;
  const lines: SumLine[] = [];
  for (const row of rows) {
    const at = row.indexOf('h1:');
    if (at < 0) return undefined;
    lines.push({ name: row.slice(0, at).trim(), hash: row.slice(at + 3) });
  }
  return { total: first.slice(3), lines };
}

function sumIgnored(bytes: Buffer): boolean {
  const m = /^([ -~]*)atlas:(\w+)(?: +([ -~]*))*/.exec(bytes.toString('latin1'));
  return m !== null && m[2] === 'sum' && m[3] === 'ignore';
}
