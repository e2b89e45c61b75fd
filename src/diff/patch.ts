/**
 * A unified diff of one script's text between two releases, for reading only: bounded in
 * input size, edit distance and output lines (LIMITS), and with every control character
 * escaped so SQL text cannot drive the terminal that shows it.
 */
import { LIMITS } from '../limits.js';
import { lineEdits, type LineEdit } from './line-edits.js';
import { terminalSafe } from '../format/terminal-text.js';

export type ScriptPatch = { lines: string[]; truncated?: number } | { omitted: string };

const CONTEXT = 3;
const decoder = new TextDecoder('utf-8', { fatal: true });

export function scriptPatch(oldPath: string | undefined, oldBytes: Buffer | undefined, newPath: string | undefined, newBytes: Buffer | undefined): ScriptPatch {
  for (const bytes of [oldBytes, newBytes]) if (bytes && bytes.length > LIMITS.maxPatchScriptBytes) return { omitted: `a script is larger than ${LIMITS.maxPatchScriptBytes} bytes` };
  const oldLines = linesOf(oldBytes);
  const newLines = linesOf(newBytes);
  if (oldLines === undefined || newLines === undefined) return { omitted: 'a script is not UTF-8 text' };
  const edits = lineEdits(oldLines, newLines, LIMITS.maxPatchEdits);
  if (edits === undefined) return { omitted: `more than ${LIMITS.maxPatchEdits} lines differ` };
  const body = hunks(edits);
  const lines = [`--- ${oldPath === undefined ? '/dev/null' : `a/${terminalSafe(oldPath)}`}`, `+++ ${newPath === undefined ? '/dev/null' : `b/${terminalSafe(newPath)}`}`, ...body];
  if (lines.length <= LIMITS.maxPatchLines) return { lines };
  return { lines: lines.slice(0, LIMITS.maxPatchLines), truncated: lines.length - LIMITS.maxPatchLines };
}

/**
 * The whole text of a script a migration added, as `+` lines: the same size and output bounds,
 * but no edit-distance bound (nothing is compared), so a long new script shows its first lines.
 */
export function addedScriptPatch(path: string, bytes: Buffer | undefined): ScriptPatch {
  if (bytes && bytes.length > LIMITS.maxPatchScriptBytes) return { omitted: `a script is larger than ${LIMITS.maxPatchScriptBytes} bytes` };
  const added = linesOf(bytes);
  if (added === undefined) return { omitted: 'a script is not UTF-8 text' };
  const lines = ['--- /dev/null', `+++ b/${terminalSafe(path)}`, ...(added.length > 0 ? [`@@ -0,0 +${range(1, added.length)} @@`] : []), ...added.flatMap((line) => render({ op: '+', line }))];
  if (lines.length <= LIMITS.maxPatchLines) return { lines };
  return { lines: lines.slice(0, LIMITS.maxPatchLines), truncated: lines.length - LIMITS.maxPatchLines };
}

/** Lines with their terminators, so a change of line ending or of the final newline shows. */
function linesOf(bytes: Buffer | undefined): string[] | undefined {
  if (bytes === undefined) return [];
  try {
    return decoder.decode(bytes).split(/(?<=\n)/).filter((l) => l !== '');
  } catch {
    return undefined;
  }
}

function hunks(edits: LineEdit[]): string[] {
  // Line numbers before each edit, in the old and the new text.
  const oldAt: number[] = [];
  const newAt: number[] = [];
  let o = 1;
  let n = 1;
  for (const e of edits) {
    oldAt.push(o), newAt.push(n);
    if (e.op !== '+') o++;
    if (e.op !== '-') n++;
  }
  const changes = edits.flatMap((e, i) => (e.op === ' ' ? [] : [i]));
  const out: string[] = [];
  // Changes parted by at most 2×CONTEXT equal lines share a hunk, with CONTEXT lines around it.
  for (let c = 0; c < changes.length; ) {
    let last = c;
    while (last + 1 < changes.length && changes[last + 1]! - changes[last]! - 1 <= 2 * CONTEXT) last++;
    const from = Math.max(0, changes[c]! - CONTEXT);
    const to = Math.min(edits.length, changes[last]! + CONTEXT + 1);
    const slice = edits.slice(from, to);
    const oldCount = slice.filter((e) => e.op !== '+').length;
    const newCount = slice.filter((e) => e.op !== '-').length;
    out.push(`@@ -${range(oldAt[from]!, oldCount)} +${range(newAt[from]!, newCount)} @@`);
    for (const e of slice) out.push(...render(e));
    c = last + 1;
  }
  return out;
}

function range(start: number, count: number): string {
  return count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`;
}

function render(e: LineEdit): string[] {
  const text = e.line.endsWith('\n') ? e.line.slice(0, -1) : e.line;
  return [`${e.op}${terminalSafe(text)}`, ...(e.line.endsWith('\n') ? [] : ['\\ No newline at end of file'])];
}
