/**
 * Text from a bundle or a database made safe to print. C0 and C1 control characters, DEL,
 * line and paragraph separators and bidirectional overrides ("Trojan Source") are shown as
 * escapes, so such content can never move the cursor, recolour the terminal, rewrite a line
 * or reorder what a reviewer reads.
 */
// eslint-disable-next-line no-control-regex
const CONTROLS = '\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\ufeff';
/** For one value: newlines and backslashes are escaped too, so an escape in the text cannot pass for one. */
const IN_VALUE = new RegExp(`[\\\\\\n${CONTROLS}]`, 'gu');
/** For whole output: lines and tabs stay as they are. */
const IN_OUTPUT = new RegExp(`[${CONTROLS}]`, 'gu');

const NAMED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r' };

/** One value (a name, a line of SQL) shown on one line, unambiguously. */
export function terminalSafe(text: string): string {
  return text.replace(IN_VALUE, (c) => NAMED[c] ?? escapeCode(c.codePointAt(0)!));
}

/** Whole output for a terminal: what migseal writes itself is unchanged, anything else is escaped. */
export function printableOutput(text: string): string {
  return text.replace(IN_OUTPUT, (c) => NAMED[c] ?? escapeCode(c.codePointAt(0)!));
}

/**
 * JSON for a terminal: JSON.stringify escapes C0 controls but leaves DEL, C1 controls,
 * separators and bidirectional overrides as they are. They become \u escapes, which parse
 * back to the same strings.
 */
export function printableJson(json: string): string {
  return json.replace(JSON_RAW, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// eslint-disable-next-line no-control-regex
const JSON_RAW = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

function escapeCode(code: number): string {
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}
