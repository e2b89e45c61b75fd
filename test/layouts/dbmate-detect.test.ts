import { describe, expect, it } from 'vitest';
import { dbmate, hasUpMarker } from '../../src/layouts/dbmate.js';

/** The marker as read before the byte search: the whole file decoded and matched. */
const reference = (bytes: Buffer): boolean => /^--\s*migrate:up\b/m.test(bytes.toString('latin1'));

const PIECES = ['--', ' ', '\t', '\n', '\r\n', '\u00a0', '\f', 'migrate', ':', 'up', 'migrate:up', 'migrate:down', 'x', '_', '-- migrate:up', 'CREATE TABLE t (id int);', 'é', '\u0085'];

function* scripts(): Generator<Buffer> {
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < 4000; i++) {
    const parts: string[] = [];
    for (let j = 0, n = 1 + next(8); j < n; j++) parts.push(PIECES[next(PIECES.length)]!);
    const text = parts.join('');
    yield Buffer.from(text, 'latin1');
    yield Buffer.from(text, 'utf8');
  }
  // Single-byte changes inside a real marker: each must answer as the whole-file match does.
  const marker = Buffer.from('CREATE TABLE a (id int);\n--  migrate:up transaction:false\nSELECT 1;\n', 'latin1');
  for (let at = 0; at < marker.length; at++) {
    for (const byte of [0x00, 0x09, 0x0a, 0x20, 0x2d, 0x5f, 0x85, 0xa0, 0xff]) {
      const copy = Buffer.from(marker);
      copy[at] = byte;
      yield copy;
    }
  }
}

describe('dbmate detection', () => {
  it('reads the up marker exactly as matching the whole decoded file does', () => {
    let found = 0;
    for (const bytes of scripts()) {
      const want = reference(bytes);
      expect(hasUpMarker(bytes), JSON.stringify(bytes.toString('latin1'))).toBe(want);
      if (want) found++;
    }
    // Both answers occur often enough for the comparison to mean something.
    expect(found).toBeGreaterThan(200);
  });

  it('finds a folder with one marked file among many that are not', () => {
    const files = new Map<string, Buffer>();
    for (let i = 1; i <= 50; i++) files.set(`${String(i).padStart(3, '0')}_t.sql`, Buffer.from(`CREATE TABLE t${i} (id int);\n`));
    const listing = { paths: [...files.keys()], read: (p: string) => files.get(p)! };
    expect(dbmate.detect(listing)).toBe(false);
    files.set('050_t.sql', Buffer.from('-- a comment\n-- migrate:up\nCREATE TABLE t50 (id int);\n-- migrate:down\n'));
    expect(dbmate.detect(listing)).toBe(true);
  });
});
