/**
 * The tar reader is fed the whole archive by readTar and a few kilobytes at a time while a
 * bundle inflates. Its outcome must not depend on how the bytes were split: every damaged
 * variant of a small archive gives the same entries, or the same refusal, whatever the chunking.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pathProblem, readTar, TarError, TarReader } from '../../src/format/tar.js';
import { BLOCK, rawTar } from './tar-bytes.js';

const archive = rawTar([
  { name: 'manifest.json', data: Buffer.from('{"a":1}\n') },
  { name: 'files/1_a.up.sql', data: Buffer.alloc(700, 0x61) },
  { name: 'files/2_empty.up.sql', data: Buffer.alloc(0) },
  { name: 'files/3_block.up.sql', data: Buffer.alloc(BLOCK, 0x62) },
]);

type Outcome = string;

function describeOutcome(read: () => ReturnType<typeof readTar>): Outcome {
  try {
    return read()
      .map((e) => `${e.path}:${e.mtime}:${createHash('sha256').update(e.data).digest('hex')}:${e.sha256 ?? '-'}`)
      .join('\n');
  } catch (error) {
    if (!(error instanceof TarError)) throw error;
    return `${error.reason}: ${error.message}`;
  }
}

/** Feeds `bytes` in pieces of the given sizes (cycled), each copied to an odd offset so no piece is word-aligned. */
function inPieces(bytes: Buffer, sizes: number[], hash = false) {
  const reader = new TarReader({ hash });
  let i = 0;
  for (let at = 0; at < bytes.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, bytes.length - at);
    const holder = Buffer.alloc(n + 1);
    bytes.copy(holder, 1, at, at + n);
    reader.push(holder.subarray(1));
    at += n;
  }
  return reader.end();
}

const CHUNKINGS = [[13], [BLOCK - 1], [BLOCK + 1], [100, 3, 900, 512, 1]];

function expectSameEverywhere(bytes: Buffer, label: string): Outcome {
  const whole = describeOutcome(() => readTar(bytes));
  for (const sizes of CHUNKINGS) {
    expect(describeOutcome(() => inPieces(bytes, sizes)), `${label}, pieces of ${sizes.join('/')}`).toBe(whole);
  }
  return whole;
}

describe('TarReader', () => {
  it('reads the archive the same way in one piece and in many', () => {
    const outcome = expectSameEverywhere(archive, 'intact');
    expect(outcome.split('\n').map((l) => l.split(':')[0])).toEqual(['manifest.json', 'files/1_a.up.sql', 'files/2_empty.up.sql', 'files/3_block.up.sql']);
  });

  it('hashes each entry as its bytes arrive', () => {
    expect(describeOutcome(() => inPieces(archive, [1]))).toBe(describeOutcome(() => readTar(archive)));
    for (const entries of [readTar(archive, { hash: true }), inPieces(archive, [7], true)]) {
      for (const entry of entries) expect(entry.sha256).toBe(createHash('sha256').update(entry.data).digest('hex'));
    }
  });

  it('gives the same outcome for every byte flipped, whatever the chunking', () => {
    const outcomes = new Set<Outcome>();
    for (let i = 0; i < archive.length; i++) {
      const damaged = Buffer.from(archive);
      damaged[i] = archive[i]! ^ 0xff;
      outcomes.add(expectSameEverywhere(damaged, `byte ${i} flipped`).replace(/ (entry|after|of|inside) \S+.*/, ''));
    }
    // The damage reaches many different rules, not one catch-all.
    expect(outcomes.size).toBeGreaterThan(8);
  });

  it('gives the same outcome for every truncation and for bytes appended', () => {
    for (let length = 0; length < archive.length; length += 37) expectSameEverywhere(archive.subarray(0, length), `cut at ${length}`);
    for (let length = 0; length <= archive.length; length += BLOCK) expectSameEverywhere(archive.subarray(0, length), `cut at block ${length / BLOCK}`);
    expectSameEverywhere(Buffer.concat([archive, Buffer.alloc(3 * BLOCK)]), 'zero blocks appended');
    expectSameEverywhere(Buffer.concat([archive, Buffer.alloc(BLOCK, 1)]), 'a non-zero block appended');
    expectSameEverywhere(Buffer.concat([archive, Buffer.alloc(100)]), 'a partial block appended');
  });

  it('does not buffer an entry that could not fit in the archive, and refuses it as truncated', () => {
    const huge = rawTar([{ name: 'files/huge.sql', size: 1024 ** 3 - 1, data: Buffer.alloc(0) }]).subarray(0, 4 * BLOCK);
    const reader = new TarReader({ maxArchiveBytes: 10 * BLOCK });
    reader.push(huge);
    expect(() => reader.end()).toThrow(/truncated inside files\/huge\.sql/);
  });
});

describe('pathProblem', () => {
  it('accepts only paths that pass every rule, for random paths', () => {
    const alphabet = ['a', 'B', '.', '..', '/', ':', '\\', ' ', '-', '\n', '\u007f', '\u00e9', 'C:', '\ud800'];
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let i = 0; i < 20_000; i++) {
      let path = '';
      for (let n = random(7); n > 0; n--) path += alphabet[random(alphabet.length)];
      if (pathProblem(path) !== undefined) continue;
      expect(path.length).toBeGreaterThan(0);
      expect(path).toMatch(/^[\x20-\x7e]+$/);
      expect(path).not.toMatch(/[\\:]|^\//);
      for (const segment of path.split('/')) expect(['', '.', '..']).not.toContain(segment);
    }
    expect(pathProblem('files/1_a.up.sql')).toBeUndefined();
    expect(pathProblem(`files/${'x'.repeat(300)}`)).toMatch(/longer than/);
  });
});

describe('admission: keep, hash or count', () => {
  it('keeps, hashes without keeping, or only counts each entry as admit says, whole or in chunks', () => {
    const admit = (path: string) => (path.startsWith('files/1_') ? 'hash' : path.startsWith('files/3_') ? 'count' : 'keep');
    for (const size of [archive.length, 100, 7]) {
      const reader = new TarReader({ hash: true, admit });
      for (let at = 0; at < archive.length; at += size) reader.push(archive.subarray(at, at + size));
      const byPath = new Map(reader.end().map((e) => [e.path, e]));
      const hashed = byPath.get('files/1_a.up.sql')!;
      expect(hashed.data.length).toBe(0);
      expect(hashed.notKept).toEqual({ size: 700 });
      expect(hashed.sha256).toBe(createHash('sha256').update(Buffer.alloc(700, 0x61)).digest('hex'));
      const counted = byPath.get('files/3_block.up.sql')!;
      expect(counted.data.length).toBe(0);
      expect(counted.notKept).toEqual({ size: BLOCK });
      expect(counted.sha256).toBeUndefined();
      expect(byPath.get('manifest.json')!.data.toString()).toBe('{"a":1}\n');
      expect(byPath.get('manifest.json')!.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});
