/**
 * Text from a bundle made safe to print: C0 and C1 control characters (except tab), DEL,
 * line and paragraph separators and bidirectional overrides ("Trojan Source") are shown as
 * escapes, so bundle content can never move the cursor, recolour the terminal or reorder
 * what a reviewer reads. Backslashes are doubled so an escape in the text cannot pass for one.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\\\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/gu;

const NAMED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r' };

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? escapeCode(c.codePointAt(0)!));
}

function escapeCode(code: number): string {
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}
