/** The small readers behind the layouts: TOML marker files, dbmate sections, Flyway versions, Atlas sums. */
import { describe, expect, it } from 'vitest';
import { readTomlKeys } from '../../src/layouts/toml-keys.js';
import { dbmateSections, inTransaction } from '../../src/format/dbmate-sections.js';
import { compareFlywayVersions, flywayVersion } from '../../src/layouts/flyway-version.js';
import { atlasSumLines, formatAtlasSum, parseAtlasSum } from '../../src/layouts/atlas-sum.js';

describe('readTomlKeys', () => {
  it('reads strings and booleans with comments', () => {
    const v = readTomlKeys('# lock\nprovider = "postgresql" # trailing\nrun = false\nname = \'x\'\n', ['provider', 'run', 'name']);
    expect([...v]).toEqual([['provider', 'postgresql'], ['run', false], ['name', 'x']]);
  });

  it.each([
    ['[table]\n', /only top-level/],
    ['a.b = true\n', /only top-level/],
    ['other = true\n', /unknown key "other"/],
    ['run = true\nrun = false\n', /set twice/],
    ['run = 1\n', /must be true, false or a one-line string/],
    ['run = [true]\n', /must be true, false or a one-line string/],
    ['run = """x"""\n', /must be true, false or a one-line string/],
    ['run = TRUE\n', /must be true, false or a one-line string/],
  ])('refuses %j', (text, message) => {
    expect(() => readTomlKeys(text, ['run'])).toThrow(message);
  });
});

describe('dbmateSections', () => {
  const file = Buffer.from('-- header comment\n\n-- migrate:up transaction:false\nCREATE INDEX x ON t (a);\n-- migrate:down\nDROP INDEX x;\n');

  it("cuts at the directive lines, as dbmate does, and reads each block's options", () => {
    const s = dbmateSections(file);
    if (typeof s === 'string') throw new Error(s);
    expect(file.subarray(s.up.start, s.up.end).toString()).toBe('-- migrate:up transaction:false\nCREATE INDEX x ON t (a);\n');
    expect(file.subarray(s.down.start, s.down.end).toString()).toBe('-- migrate:down\nDROP INDEX x;\n');
    expect(inTransaction(s.up)).toBe(false);
    expect(inTransaction(s.down)).toBe(true);
  });

  it('keeps byte offsets right with multi-byte characters', () => {
    const utf8 = Buffer.from("-- migrate:up\nINSERT INTO t VALUES ('é€😀');\n-- migrate:down\nDELETE FROM t;\n");
    const s = dbmateSections(utf8);
    if (typeof s === 'string') throw new Error(s);
    expect(utf8.subarray(s.down.start, s.down.end).toString()).toBe('-- migrate:down\nDELETE FROM t;\n');
  });

  it.each([
    ['SELECT 1;\n', /needs an up block/],
    ['-- migrate:up\nSELECT 1;\n', /needs a down block/],
    ['-- migrate:down\n-- migrate:up\n', /must come before/],
    ['SELECT 1;\n-- migrate:up\n-- migrate:down\n', /may not precede/],
    ['-- migrate:upgrade\n-- migrate:down\n', /needs an up block/],
  ])('reports dbmate rule broken by %j', (text, rule) => {
    expect(dbmateSections(Buffer.from(text))).toMatch(rule);
  });
});

describe('Flyway versions', () => {
  const sorted = (raw: string[]) => raw.map((r) => flywayVersion(r)!).sort((a, b) => compareFlywayVersions(a.parts, b.parts)).map((v) => v.text);

  it('compare part by part as integers', () => {
    expect(sorted(['1.10', '1.2', '1_3', '10', '9', '1', '2.0.1', '2'])).toEqual(['1', '1.2', '1.3', '1.10', '2', '2.0.1', '9', '10']);
    expect(compareFlywayVersions(flywayVersion('1.0')!.parts, flywayVersion('1')!.parts)).toBe(0);
    expect(compareFlywayVersions(flywayVersion('99999999999999999999.1')!.parts, flywayVersion('99999999999999999999.01')!.parts)).toBe(0);
  });

  it.each(['1a', '', '1..2', '.1', 'v1'])('refuses %j', (raw) => {
    expect(flywayVersion(raw)).toBeUndefined();
  });
});

describe('atlas.sum', () => {
  it('formats and parses back, and the total covers every line', () => {
    const lines = atlasSumLines([{ name: 'b.sql', bytes: Buffer.from('B') }, { name: 'a.sql', bytes: Buffer.from('A') }]);
    expect(lines.map((l) => l.name)).toEqual(['a.sql', 'b.sql']);
    const text = formatAtlasSum(lines);
    const parsed = parseAtlasSum(text)!;
    expect(parsed.lines).toEqual(lines);
    expect(formatAtlasSum(parsed.lines)).toBe(text);
  });

  it('chains: changing the first file changes every later line', () => {
    const a = atlasSumLines([{ name: '1.sql', bytes: Buffer.from('x') }, { name: '2.sql', bytes: Buffer.from('y') }]);
    const b = atlasSumLines([{ name: '1.sql', bytes: Buffer.from('z') }, { name: '2.sql', bytes: Buffer.from('y') }]);
    expect(a[1]!.hash).not.toBe(b[1]!.hash);
  });

  it('skips the bytes, not the name, of a file marked atlas:sum ignore', () => {
    const ignored = atlasSumLines([{ name: '1.sql', bytes: Buffer.from('-- atlas:sum ignore\nSELECT 1;') }, { name: '2.sql', bytes: Buffer.from('y') }]);
    const other = atlasSumLines([{ name: '1.sql', bytes: Buffer.from('-- atlas:sum ignore\nSELECT 2;') }, { name: '2.sql', bytes: Buffer.from('y') }]);
    expect(ignored.map((l) => l.name)).toEqual(['2.sql']);
    expect(ignored).toEqual(other);
  });
});
