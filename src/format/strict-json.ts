import { isUtf8 } from 'node:buffer';
import { MigsealError } from '../errors.js';
import { LIMITS } from '../limits.js';

/**
 * A JSON parser for untrusted documents that refuses what `JSON.parse` lets through:
 * duplicate keys, `__proto__`/`constructor`/`prototype` keys, numbers that are not safe
 * integers (fractions, exponents, values beyond 2^53), lone surrogates, and nesting
 * deeper than a cap. Objects come back with a null prototype.
 *
 * It throws `StrictJsonError` with the JSON path of the first problem.
 */
export class StrictJsonError extends Error {
  readonly path: string;
  constructor(message: string, path: string) {
    super(`${message} at ${path}`);
    this.name = 'StrictJsonError';
    this.path = path;
  }
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function parseStrictJson(text: string, maxDepth: number = LIMITS.maxJsonDepth): JsonValue {
  const compact = viaEngine(text, maxDepth);
  return compact !== undefined ? compact : parseByStrictParser(text, maxDepth);
}

/** The strict parser alone, without the engine's shortcut (parseStrictJson's tests hold one against the other). */
export function parseByStrictParser(text: string, maxDepth: number = LIMITS.maxJsonDepth): JsonValue {
  const parser = new Parser(text, maxDepth);
  const value = parser.value('$', 0);
  parser.end();
  return value;
}

/**
 * Most documents migseal reads were written compactly by JSON.stringify (the manifest, whose
 * canonical form is that, and Sigstore bundles). For those the engine's own parser gives the
 * same value several times faster, above all in a short-lived process where the strict parser
 * runs before it is compiled. It is taken only when nothing in the text can make the engine's
 * value differ from the strict parser's or pass where the strict parser refuses:
 * - no duplicate key, which the engine would drop silently: every key ends with `":` (a text
 *   with a quote, then white space, then a colon is left to the strict parser), so the number
 *   of `":` in the text is at least the number of keys written, and equals the number of keys
 *   in the value only when none was written twice;
 * - no number written with a fraction or an exponent (`1.0`, `1e3` give safe integers too),
 *   and no -0;
 * - no lone surrogate, raw or escaped; no forbidden key, however spelled; the depth cap; safe
 *   integers only.
 * A check that fires inside a string (a `":` or `, 1.5` in some text) is a false alarm and only
 * costs time. Objects then get a null prototype, as the strict parser's have. Anything else,
 * accepted or not, is read by the strict parser, which words every refusal.
 */
function viaEngine(text: string, maxDepth: number): JsonValue | undefined {
  if (maxDepth < 0 || !isWellFormed(text) || ESCAPED_SURROGATE.test(text) || SPACED_KEY_END.test(text) || NOT_AN_INTEGER.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const keys = { count: 0 };
  if (!keepsStrictRules(value, 0, maxDepth, keys)) return undefined;
  return keys.count === countKeyEnds(text) ? (value as JsonValue) : undefined;
}

const ESCAPED_SURROGATE = /\\u[dD][89a-fA-F]/;
/** A quote, white space, a colon: possibly a key written apart from its colon, which `countKeyEnds` would miss. */
const SPACED_KEY_END = /"[ \t\n\r]+:/;
/** A number (after `[`, `,`, `:` or at the start) written with a fraction or an exponent. */
const NOT_AN_INTEGER = /(?:^|[[,:])[ \t\n\r]*-?[0-9]+[.eE]/;

/** How many times `":` occurs in `text`. */
function countKeyEnds(text: string): number {
  let count = 0;
  for (let at = text.indexOf('":'); at !== -1; at = text.indexOf('":', at + 2)) count++;
  return count;
}

/**
 * Numbers are safe integers other than -0, no key is forbidden, and nothing lies deeper than the
 * cap (`value` itself is at `depth`, within it); counts the keys of every object into `keys`.
 */
function keepsStrictRules(value: unknown, depth: number, maxDepth: number, keys: { count: number }): boolean {
  if (typeof value === 'number') return Number.isSafeInteger(value) && !Object.is(value, -0);
  if (value === null || typeof value !== 'object') return true;
  const inner = depth + 1;
  if (Array.isArray(value)) {
    if (value.length > 0 && inner > maxDepth) return false;
    for (let i = 0; i < value.length; i++) if (!keepsStrictRules(value[i], inner, maxDepth, keys)) return false;
    return true;
  }
  const names = Object.keys(value);
  if (names.length > 0 && inner > maxDepth) return false;
  keys.count += names.length;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (FORBIDDEN_KEYS.has(name) || !keepsStrictRules((value as Record<string, unknown>)[name], inner, maxDepth, keys)) return false;
  }
  Object.setPrototypeOf(value, null);
  return true;
}

/** No lone surrogate (String.prototype.isWellFormed, ES2024). */
function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

class Parser {
  #text: string;
  #pos = 0;
  #maxDepth: number;

  constructor(text: string, maxDepth: number) {
    this.#text = text;
    this.#maxDepth = maxDepth;
  }

  end(): void {
    this.#ws();
    if (this.#pos !== this.#text.length) this.#fail('unexpected data after the document', '$');
  }

  value(path: string, depth: number): JsonValue {
    if (depth > this.#maxDepth) this.#fail('nesting too deep', path);
    this.#ws();
    const c = this.#text[this.#pos];
    switch (c) {
      case '{':
        return this.#object(path, depth);
      case '[':
        return this.#array(path, depth);
      case '"':
        return this.#string(path);
      case 't':
        return this.#literal('true', true, path);
      case 'f':
        return this.#literal('false', false, path);
      case 'n':
        return this.#literal('null', null, path);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.#number(path);
        return this.#fail(c === undefined ? 'unexpected end of document' : `unexpected character ${JSON.stringify(c)}`, path);
    }
  }

  #object(path: string, depth: number): { [key: string]: JsonValue } {
    const result: { [key: string]: JsonValue } = Object.create(null);
    this.#pos++;
    this.#ws();
    if (this.#text[this.#pos] === '}') {
      this.#pos++;
      return result;
    }
    for (;;) {
      this.#ws();
      if (this.#text[this.#pos] !== '"') this.#fail('expected a string key', path);
      const key = this.#string(path);
      const childPath = `${path}.${key}`;
      if (FORBIDDEN_KEYS.has(key)) this.#fail(`forbidden key ${JSON.stringify(key)}`, childPath);
      if (Object.prototype.hasOwnProperty.call(result, key)) this.#fail(`duplicate key ${JSON.stringify(key)}`, childPath);
      this.#ws();
      if (this.#text[this.#pos] !== ':') this.#fail('expected ":"', childPath);
      this.#pos++;
      result[key] = this.value(childPath, depth + 1);
      this.#ws();
      const next = this.#text[this.#pos++];
      if (next === '}') return result;
      if (next !== ',') this.#fail('expected "," or "}"', path);
    }
  }

  #array(path: string, depth: number): JsonValue[] {
    const result: JsonValue[] = [];
    this.#pos++;
    this.#ws();
    if (this.#text[this.#pos] === ']') {
      this.#pos++;
      return result;
    }
    for (;;) {
      result.push(this.value(`${path}[${result.length}]`, depth + 1));
      this.#ws();
      const next = this.#text[this.#pos++];
      if (next === ']') return result;
      if (next !== ',') this.#fail('expected "," or "]"', path);
    }
  }

  #string(path: string): string {
    const text = this.#text;
    let i = this.#pos + 1;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= text.length) this.#fail('unterminated string', path);
      const code = text.charCodeAt(i);
      if (code === 0x22) break;
      if (code < 0x20) this.#fail('control character in string', path);
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = text.charCodeAt(i + 1);
        if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) this.#fail('lone surrogate in string', path);
        i += 2;
        continue;
      }
      if (code === 0x5c) {
        out += text.slice(start, i);
        const esc = text[i + 1];
        i += 2;
        switch (esc) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const hex = text.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.#fail('bad \\u escape', path);
            const unit = parseInt(hex, 16);
            i += 4;
            if (unit >= 0xd800 && unit <= 0xdbff) {
              const low = text.slice(i, i + 6);
              const lowUnit = /^\\u[0-9a-fA-F]{4}$/.test(low) ? parseInt(low.slice(2), 16) : -1;
              if (!(lowUnit >= 0xdc00 && lowUnit <= 0xdfff)) this.#fail('lone surrogate in string', path);
              out += String.fromCharCode(unit, lowUnit);
              i += 6;
            } else if (unit >= 0xdc00 && unit <= 0xdfff) {
              this.#fail('lone surrogate in string', path);
            } else {
              out += String.fromCharCode(unit);
            }
            break;
          }
          default:
            this.#fail('bad escape in string', path);
        }
        start = i;
        continue;
      }
      i++;
    }
    out += text.slice(start, i);
    this.#pos = i + 1;
    return out;
  }

  #number(path: string): number {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.#text.slice(this.#pos, this.#pos + 400));
    if (!match) return this.#fail('malformed number', path);
    if (match[2] !== undefined || match[3] !== undefined) this.#fail('only integers are allowed', path);
    const value = Number(match[0]);
    if (!Number.isSafeInteger(value) || Object.is(value, -0)) this.#fail('integer outside the safe range', path);
    this.#pos += match[0].length;
    return value;
  }

  #literal<T>(word: string, value: T, path: string): T {
    if (this.#text.startsWith(word, this.#pos)) {
      this.#pos += word.length;
      return value;
    }
    return this.#fail('unexpected token', path);
  }

  #ws(): void {
    const text = this.#text;
    while (this.#pos < text.length) {
      const c = text.charCodeAt(this.#pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.#pos++;
      else break;
    }
  }

  #fail(message: string, path: string): never {
    throw new StrictJsonError(message, path);
  }
}

/** Decodes bytes as UTF-8, refusing invalid sequences (overlong forms and encoded surrogates among them) and a byte-order mark. */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) throw new StrictJsonError('byte-order mark', '$');
  if (!isUtf8(bytes)) throw new StrictJsonError('invalid UTF-8', '$');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/**
 * Serializes a value as canonical JSON: object keys sorted by UTF-16 code units, no
 * insignificant whitespace, one trailing newline. `parseStrictJson` reads it back unchanged.
 */
export function canonicalJson(value: unknown): string {
  const copy = canonicalCopy(value);
  return copy === undefined ? canonicalByParts(value) : `${JSON.stringify(copy)}\n`;
}

/**
 * canonicalJson built one value at a time, as it always was: the form canonicalCopy leaves to
 * it (and that its tests hold canonicalCopy's path against).
 */
export function canonicalByParts(value: unknown): string {
  return `${canonical(value)}\n`;
}

/**
 * The value canonicalJson serializes, as a copy whose objects hold their keys in canonical
 * order and leave out keys whose value is undefined: JSON.stringify of it gives canonicalJson's
 * text, in one pass of the engine's serializer instead of a string built per value (a pack's
 * manifest of some 7 MB took about 100 ms that way, and as much again in collecting the
 * strings). JSON.stringify quotes strings as canonicalJson does (it uses JSON.stringify for
 * them) and writes safe integers as String does; what it would write otherwise is left to
 * canonicalByParts: undefined when the value holds anything but plain objects, arrays without
 * holes, strings, booleans, null and safe integers, or a key the engine would not keep in
 * insertion order (an array index is listed first) or cannot set as data (`__proto__`).
 */
export function canonicalCopy(value: unknown): JsonValue | undefined {
  try {
    return copySorted(value);
  } catch (error) {
    if (error === NOT_PLAIN) return undefined;
    throw error;
  }
}

const NOT_PLAIN = new Error('not a plain JSON value');
/** The last object's keys as listed and as sorted: entries of an array mostly share their keys, and need no sort of their own. */
let lastKeys: string[] = [];
let lastSorted: string[] = [];

function copySorted(value: unknown): JsonValue {
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw NOT_PLAIN;
    return value;
  }
  if (typeof value !== 'object') throw NOT_PLAIN;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) throw NOT_PLAIN;
    const out: JsonValue[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v === undefined) throw NOT_PLAIN;
      out[i] = copySorted(v);
    }
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN;
  const keys = Object.keys(value);
  let sorted = lastSorted;
  if (!sameKeys(keys, lastKeys)) {
    for (let i = 0; i < keys.length; i++) if (!plainKey(keys[i]!)) throw NOT_PLAIN;
    sorted = [...keys].sort();
    lastKeys = keys;
    lastSorted = sorted;
  }
  const out: { [key: string]: JsonValue } = {};
  for (let i = 0; i < sorted.length; i++) {
    const key = sorted[i]!;
    const v: unknown = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = copySorted(v);
  }
  return out;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A key an object keeps as data in insertion order: not `__proto__`, and not starting with a digit (which covers every array index). */
function plainKey(key: string): boolean {
  const c = key.charCodeAt(0);
  return !(c >= 0x30 && c <= 0x39) && key !== '__proto__';
}

function canonical(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new MigsealError('INTERNAL', `Canonical JSON holds only safe integers, got ${value}.`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') {
    // The default sort compares UTF-16 code units; keys with an undefined value are left out.
    let out = '';
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out += `${out === '' ? '' : ','}${JSON.stringify(key)}:${canonical(v)}`;
    }
    return `{${out}}`;
  }
  throw new MigsealError('INTERNAL', `Cannot serialize ${typeof value} as canonical JSON.`);
}
