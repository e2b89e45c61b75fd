/** The strict tar reader and deterministic writer, on hand-built bytes, with small caps. */
import { describe, expect, it } from 'vitest';
import { pathProblem, readTar, TarError, writeTar } from '../../src/format/tar.js';
import { decompressionCap, GunzipError, gunzipCapped } from '../../src/format/gzip.js';
import { gzipDeterministic } from '../../src/format/gzip-deterministic.js';
import { LIMITS } from '../../src/limits.js';
import { BLOCK, gzip, rawTar } from './tar-bytes.js';

function tarError(fn: () => unknown): TarError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TarError);
    return error as TarError;
  }
  throw new Error('expected a TarError');
}

const three = rawTar([
  { name: 'a.sql', data: Buffer.from('a') },
  { name: 'b.sql', data: Buffer.from('bb') },
  { name: 'c.sql', data: Buffer.alloc(600, 0x63) },
]);

/** `tar` with `text` written at byte `at`, and that header's checksum made right again. */
function withBytes(tar: Buffer, at: number, text: string): Buffer {
  const start = at - (at % BLOCK);
  tar.write(text, at, 'latin1');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : tar[start + i]!;
  tar.write(`${sum.toString(8).padStart(7, '0')}\0`, start + 148, 8, 'latin1');
  return tar;
}

describe('readTar', () => {
  it('reads what the independent encoder wrote', () => {
    const entries = readTar(three);
    expect(entries.map((e) => [e.path, e.data.toString('latin1').slice(0, 2), e.data.length])).toEqual([
      ['a.sql', 'a', 1],
      ['b.sql', 'bb', 2],
      ['c.sql', 'cc', 600],
    ]);
  });

  it('entry count over the cap', () => {
    expect(readTar(three, { maxEntries: 3 })).toHaveLength(3);
    const error = tarError(() => readTar(three, { maxEntries: 2 }));
    expect(error.reason).toBe('limit');
    expect(error.message).toMatch(/more than 2 entries/);
  });

  it('entry size over the cap', () => {
    expect(readTar(three, { maxEntryBytes: 600 })).toHaveLength(3);
    const error = tarError(() => readTar(three, { maxEntryBytes: 599 }));
    expect(error.reason).toBe('limit');
    expect(error.message).toMatch(/c\.sql is larger than 599 bytes/);
  });

  it('a declared size beyond the data is truncation, not a read past the end', () => {
    const tar = rawTar([{ name: 'a.sql', size: 5000, data: Buffer.from('a') }]);
    expect(tarError(() => readTar(tar)).reason).toBe('malformed');
  });

  it('refuses an empty stream and a stream of one zero block', () => {
    expect(tarError(() => readTar(Buffer.alloc(0))).message).toMatch(/no end-of-archive marker/);
    expect(tarError(() => readTar(Buffer.alloc(BLOCK))).message).toMatch(/incomplete end-of-archive marker/);
  });

  it('refuses octal fields that are not octal', () => {
    const tar = rawTar([{ name: 'a.sql', data: Buffer.from('a'), sizeField: Buffer.from('00000000009\0', 'latin1') }]);
    expect(tarError(() => readTar(tar)).message).toMatch(/size field is not an octal number/);
  });

  // Headers whose other fields equal the last accepted header's are checked for name, prefix,
  // size and checksum only: every field that differs from it is checked again.
  it('checks in full a header whose fields differ from the header before it', () => {
    const a = { name: 'a.sql', data: Buffer.from('a') };
    expect(readTar(rawTar([a, { name: 'b.sql', data: Buffer.from('b'), mtime: 0o7654 }, { name: 'c.sql' }])).map((e) => [e.path, e.mtime])).toEqual([
      ['a.sql', 0],
      ['b.sql', 0o7654],
      ['c.sql', 0],
    ]);
    // The second header starts at 1024 (a's header and data block before it).
    expect(tarError(() => readTar(withBytes(rawTar([a, { name: 'b.sql' }]), 1024 + 108, '9'))).message).toMatch(/uid field is not an octal number/);
    expect(tarError(() => readTar(withBytes(rawTar([a, { name: 'b.sql' }]), 1024 + 265, '\x01'))).message).toMatch(/uname field holds a non-ASCII or control character/);
    expect(tarError(() => readTar(withBytes(rawTar([a, { name: 'b.sql' }]), 1024 + 510, 'x'))).message).toMatch(/b\.sql has data in its unused bytes/);
    expect(tarError(() => readTar(rawTar([a, { name: 'b.sql', type: '2', linkname: 'a.sql' }]))).message).toMatch(/"b\.sql" is a symbolic link/);
    expect(tarError(() => readTar(rawTar([a, { name: 'b.sql', magic: Buffer.from('ustar  \0', 'latin1') }]))).message).toMatch(/not POSIX ustar/);
    expect(tarError(() => readTar(rawTar([a, { name: '../b.sql' }]))).message).toMatch(/unsafe path/);
    expect(tarError(() => readTar(rawTar([a, { name: 'b.sql', checksumDelta: 1 }]))).message).toMatch(/bad checksum/);
  });

  it('refuses a NUL-terminated name with bytes after its terminator', () => {
    const name = Buffer.alloc(100);
    name.write('a.sql\0evil', 0, 'latin1');
    const tar = rawTar([{ name: '', nameBytes: name, data: Buffer.from('a') }]);
    expect(tarError(() => readTar(tar)).message).toMatch(/name field has data after its terminator/);
  });
});

describe('pathProblem', () => {
  const table: Array<[string, RegExp | undefined]> = [
    ['files/1_a.up.sql', undefined],
    ['manifest.json', undefined],
    ['', /empty/],
    ['../x', /"\.\." segment/],
    ['a/../b', /"\.\." segment/],
    ['a/./b', /"\." segment/],
    ['/abs', /absolute/],
    ['C:/x', /drive letter/],
    ['c:x', /drive letter/],
    ['a\\b', /backslash/],
    ['ab:c', /colon/],
    ['a//b', /empty segment/],
    ['a/', /empty segment/],
    ['caf\u00e9', /non-ASCII/],
    ['a\tb', /control character/],
    ['a\u007fb', /control character/],
    ['x'.repeat(LIMITS.maxPathBytes + 1), /longer than/],
  ];
  for (const [path, problem] of table) {
    it(JSON.stringify(path.length > 40 ? `${path.slice(0, 10)}…(${path.length})` : path), () => {
      if (problem) expect(pathProblem(path)).toMatch(problem);
      else expect(pathProblem(path)).toBeUndefined();
    });
  }
});

describe('writeTar', () => {
  it('refuses to write an unsafe path', () => {
    expect(tarError(() => writeTar([{ path: '../evil', data: Buffer.alloc(0) }])).reason).toBe('unsafe-entry');
  });
  it('sorts entries by bytes whatever the input order, and reads back', () => {
    const a = writeTar([{ path: 'b', data: Buffer.from('2') }, { path: 'B', data: Buffer.from('1') }, { path: 'a/c', data: Buffer.from('3') }]);
    const b = writeTar([{ path: 'a/c', data: Buffer.from('3') }, { path: 'b', data: Buffer.from('2') }, { path: 'B', data: Buffer.from('1') }]);
    expect(a.equals(b)).toBe(true);
    // "B" and "b" differ only by case: the writer emits them, the strict reader refuses them.
    expect(tarError(() => readTar(a)).reason).toBe('duplicate-entry');
  });
  it('splits a long path into prefix and name and reads it back', () => {
    const path = `${'d'.repeat(120)}/${'f'.repeat(90)}.sql`;
    expect(readTar(writeTar([{ path, data: Buffer.from('x') }]))[0]!.path).toBe(path);
  });
});

describe('gunzipCapped', () => {
  it('inflates a normal stream', async () => {
    expect((await gunzipCapped(gzipDeterministic(three))).equals(three)).toBe(true);
  });
  it('refuses a stream above its ratio cap', async () => {
    const zeros = gzip(Buffer.alloc(LIMITS.ratioGraceBytes + BLOCK), 9);
    expect(decompressionCap(zeros.length)).toBe(LIMITS.ratioGraceBytes);
    const error = await gunzipCapped(zeros).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GunzipError);
    expect((error as GunzipError).reason).toBe('limit');
  });
  it('refuses bytes after the compressed stream (zero padding, a second member)', async () => {
    const gz = gzipDeterministic(three);
    for (const tail of [Buffer.alloc(16), gzip(Buffer.alloc(BLOCK)), gzip(Buffer.alloc(0))]) {
      const error = await gunzipCapped(Buffer.concat([gz, tail])).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GunzipError);
      expect((error as GunzipError).message).toMatch(/data after its compressed stream/);
    }
  });
  it('refuses what is not gzip, and a damaged stream', async () => {
    expect(((await gunzipCapped(three).catch((e: unknown) => e)) as GunzipError).reason).toBe('malformed');
    const gz = gzipDeterministic(three);
    gz[gz.length - 5]! ^= 0xff; // the CRC-32 / length trailer
    expect(((await gunzipCapped(gz).catch((e: unknown) => e)) as GunzipError).reason).toBe('malformed');
  });
});
