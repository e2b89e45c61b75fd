/**
 * The fingerprint's text is canonical JSON: the same bytes canonicalJson gives for the sorted
 * objects, whatever the strings hold (quotes, backslashes, control characters, non-ASCII text,
 * lone surrogates), with a SQLite object's absent schema left out, and a value that is not
 * text refused.
 */
import { describe, expect, it } from 'vitest';
import { canonicalFingerprint, makeFingerprint, parseFingerprint, sortObjects, type SchemaObject } from '../../src/fingerprint/canonical.js';
import { canonicalJson } from '../../src/format/strict-json.js';

const awkward = ['plain', 'with "quotes" and \\ backslash', 'tab\tnew\nline\u0000nul\u001f', 'ünïcödé ✓ 😀', 'lone \ud800 surrogate', '\u2028\u2029', ''];

const objects: SchemaObject[] = [
  ...awkward.map((text, i): SchemaObject => ({ kind: 'column', schema: `s${text}`, name: `t.${text}${i}`, definition: text })),
  { kind: 'table', name: 'no_schema', definition: 'CREATE TABLE no_schema (id)' },
  { kind: 'index', schema: 'public', name: 'b', definition: 'CREATE INDEX b ON public.t USING btree (x)' },
  { kind: 'index', schema: 'public', name: 'a', definition: 'CREATE INDEX a ON public.t USING btree (x)' },
];

describe('the schema fingerprint as canonical JSON', () => {
  it.each(['postgres', 'sqlite'] as const)('gives canonicalJson\'s bytes (%s)', (dialect) => {
    const expected = canonicalJson({ dialect, objects: sortObjects(objects).map((o) => ({ kind: o.kind, schema: o.schema, name: o.name, definition: o.definition })) });
    expect(canonicalFingerprint({ dialect, objects })).toBe(expected);
    expect(canonicalFingerprint({ dialect, objects: [...objects].reverse() })).toBe(expected);
    expect(expected).not.toMatch(/"schema":null/);
  });

  it('reads back to the same hash', () => {
    const fingerprint = makeFingerprint('postgres', objects);
    expect(parseFingerprint(canonicalFingerprint(fingerprint), fingerprint.sha256)?.sha256).toBe(fingerprint.sha256);
  });

  it('refuses an object whose definition is not text', () => {
    const broken = [{ kind: 'table', schema: 'public', name: 't', definition: 5 }] as unknown as SchemaObject[];
    expect(() => canonicalFingerprint({ dialect: 'postgres', objects: broken })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});
