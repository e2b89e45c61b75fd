import { describe, expect, it } from 'vitest';
import { lineEdits } from '../../src/diff/line-edits.js';
import { movedKeys } from '../../src/diff/moved.js';
import { scriptPatch } from '../../src/diff/patch.js';
import { terminalSafe } from '../../src/format/terminal-text.js';
import { LIMITS } from '../../src/limits.js';

const lines = (n: number, tag = '') => Array.from({ length: n }, (_, i) => `line ${i + 1}${tag}\n`).join('');
const patch = (a: string | undefined, b: string | undefined) => scriptPatch(a === undefined ? undefined : 'x.sql', a === undefined ? undefined : Buffer.from(a), b === undefined ? undefined : 'x.sql', b === undefined ? undefined : Buffer.from(b));

describe('lineEdits', () => {
  it('finds a shortest edit script', () => {
    const edits = lineEdits(['a', 'b', 'c', 'a', 'b', 'b', 'a'], ['c', 'b', 'a', 'b', 'a', 'c'], 100)!;
    expect(edits.filter((e) => e.op !== ' ')).toHaveLength(5);
    expect(edits.filter((e) => e.op !== '+').map((e) => e.line)).toEqual(['a', 'b', 'c', 'a', 'b', 'b', 'a']);
    expect(edits.filter((e) => e.op !== '-').map((e) => e.line)).toEqual(['c', 'b', 'a', 'b', 'a', 'c']);
  });

  it('gives up beyond its edit bound', () => {
    expect(lineEdits(['a', 'b', 'c'], ['x', 'y', 'z'], 5)).toBeUndefined();
    expect(lineEdits(['a', 'b', 'c'], ['x', 'y', 'z'], 6)).toHaveLength(6);
  });
});

describe('scriptPatch', () => {
  it('writes unified hunks with three lines of context, apart when far apart', () => {
    const before = lines(20);
    const after = before.replace('line 2\n', 'line two\n').replace('line 18\n', 'line eighteen\n');
    expect(patch(before, after)).toEqual({
      lines: [
        '--- a/x.sql', '+++ b/x.sql',
        '@@ -1,5 +1,5 @@', ' line 1', '-line 2', '+line two', ' line 3', ' line 4', ' line 5',
        '@@ -15,6 +15,6 @@', ' line 15', ' line 16', ' line 17', '-line 18', '+line eighteen', ' line 19', ' line 20',
      ],
    });
  });

  it('joins changes parted by six equal lines or fewer into one hunk', () => {
    const before = lines(12);
    const after = before.replace('line 3\n', 'three\n').replace('line 10\n', 'ten\n');
    const result = patch(before, after) as { lines: string[] };
    expect(result.lines.filter((l) => l.startsWith('@@'))).toEqual(['@@ -1,12 +1,12 @@']);
  });

  it('shows an added script against /dev/null, and a lost final newline', () => {
    expect(patch(undefined, 'DROP TABLE t;')).toEqual({ lines: ['--- /dev/null', '+++ b/x.sql', '@@ -0,0 +1 @@', '+DROP TABLE t;', '\\ No newline at end of file'] });
  });

  it('refuses to diff what is too large, too different or not UTF-8', () => {
    expect(scriptPatch('a', Buffer.alloc(LIMITS.maxPatchScriptBytes + 1, 0x41), 'a', Buffer.from('x'))).toEqual({ omitted: expect.stringMatching(/larger than/) });
    expect(patch(lines(LIMITS.maxPatchEdits, 'a'), lines(LIMITS.maxPatchEdits, 'b'))).toEqual({ omitted: `more than ${LIMITS.maxPatchEdits} lines differ` });
    expect(scriptPatch('a', Buffer.from([0xff, 0xfe]), 'a', Buffer.from('x'))).toEqual({ omitted: 'a script is not UTF-8 text' });
  });

  it('cuts its output at the line limit and says how much is left', () => {
    const result = patch(undefined, lines(LIMITS.maxPatchLines + 10)) as { lines: string[]; truncated: number };
    expect(result.lines).toHaveLength(LIMITS.maxPatchLines);
    expect(result.truncated).toBe(13);
  });
});

describe('terminalSafe', () => {
  it('escapes C0, C1, DEL, bidi controls and backslashes; keeps tabs and ordinary text', () => {
    expect(terminalSafe('a\tb\u001b[0m\u0085\u007f\u202e\u2066\\x1b é')).toBe('a\tb\\x1b[0m\\x85\\x7f\\u{202e}\\u{2066}\\\\x1b é');
  });
});

describe('movedKeys', () => {
  it('names the fewest keys whose move explains the new order', () => {
    expect(movedKeys(['1', '2', '3', '4', '5'], ['2', '3', '4', '5', '1'])).toEqual(['1']);
    expect(movedKeys(['1', '2', '3'], ['1', '2', '3'])).toEqual([]);
  });
});
