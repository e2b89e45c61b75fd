/**
 * The history chain's entry for a migration row is written without the general canonical
 * JSON walk: it must give exactly the text canonicalJson gives, for every row, or the chain
 * an older migseal wrote would no longer check (and a new one would not match its replay).
 */
import { describe, expect, it } from 'vitest';
import { bodyText, type ChainBody } from '../../src/apply/history-chain.js';
import type { AppliedMigration } from '../../src/apply/history.js';
import { canonicalJson } from '../../src/format/strict-json.js';

const base: AppliedMigration = {
  key: '42',
  version: '42',
  name: 'add_items',
  kind: 'versioned',
  checksum: 'a'.repeat(64),
  release: '7',
  bundleDigest: 'b'.repeat(64),
  appliedAt: '2026-12-05T11:55:39.457Z',
  appliedBy: 'deploy@host',
  durationMs: 12,
  state: 'applied',
  runId: 'ec7c65d0-14be-4051-861d-c9523a03011e',
  note: null,
};

const general = (body: ChainBody): string => canonicalJson(body).slice(0, -1);

/** Strings that JSON escapes, or that sort and encode differently in UTF-16 and UTF-8. */
const ODD = ['', '"', '\\', '\n\r\t\b\f', '\u0000\u001f\u007f', '\u2028\u2029', 'é ü 名前', '\u{1F600}', '\ud800', 'a\udc00b', '</script>', ' '.repeat(300)];

describe('the chain entry of a migration row', () => {
  it('is canonicalJson text for rows of every field value', () => {
    const fields = Object.keys(base) as (keyof AppliedMigration)[];
    let checked = 0;
    for (const field of fields) {
      for (const odd of ODD) {
        const row = { ...base, [field]: field === 'durationMs' ? odd.length : odd } as AppliedMigration;
        const body: ChainBody = { table: 'migrations', op: 'write', row };
        expect(bodyText(body)).toBe(general(body));
        checked++;
      }
    }
    for (const durationMs of [0, 1, 2 ** 31, Number.MAX_SAFE_INTEGER, -5]) {
      const body: ChainBody = { table: 'migrations', op: 'write', row: { ...base, durationMs } };
      expect(bodyText(body)).toBe(general(body));
    }
    for (const note of [null, 'failed: x', '']) {
      const body: ChainBody = { table: 'migrations', op: 'write', row: { ...base, note, state: 'dirty', kind: 'repeatable' } };
      expect(bodyText(body)).toBe(general(body));
    }
    expect(checked).toBe(fields.length * ODD.length);
  });

  it('keeps canonicalJson key order and its refusals for rows of another shape', () => {
    // A field left undefined, an extra field, a field of another type: the general path, with its own answer.
    const shapes: unknown[] = [
      { ...base, note: undefined },
      { ...base, extra: 'x' },
      { ...base, 0: 'index-like key' },
      { ...base, version: 42 },
      { ...base, durationMs: 1.5 },
      { ...base, durationMs: Number.MAX_SAFE_INTEGER + 1 },
      { ...base, durationMs: Number.NaN },
    ];
    for (const row of shapes) {
      const body = { table: 'migrations', op: 'write', row } as ChainBody;
      let expected: string | Error;
      try {
        expected = general(body);
      } catch (error) {
        expected = error as Error;
      }
      if (expected instanceof Error) expect(() => bodyText(body)).toThrow(expected.message);
      else expect(bodyText(body)).toBe(expected);
    }
    const withExtra = { table: 'migrations', op: 'write', row: base, at: 'x' } as unknown as ChainBody;
    expect(bodyText(withExtra)).toBe(general(withExtra));
  });

  it('leaves every other entry to canonicalJson', () => {
    const body: ChainBody = { table: 'migrations', op: 'state', key: '42', state: 'dirty', runId: base.runId, note: 'é' };
    expect(bodyText(body)).toBe(general(body));
  });
});
