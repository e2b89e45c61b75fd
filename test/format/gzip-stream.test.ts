/**
 * The streaming gunzip used when a bundle is read from a file in chunks: the same refusals
 * as for a whole buffer (not gzip, damaged, over the ratio cap, bytes after the member, a
 * second member), wherever the chunk boundaries fall. A small bundle held whole is inflated in
 * one call (gunzipWhole): the same verdicts, word for word.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GunzipError, gunzipStream, gunzipWhole } from '../../src/format/gzip.js';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { BLOCK, rawTar } from './tar-bytes.js';

const tar = rawTar([
  { name: 'manifest.json', data: Buffer.from('{}\n') },
  { name: 'files/1_a.up.sql', data: Buffer.alloc(100_000, 'CREATE TABLE a (id INTEGER);\n') },
  { name: 'signatures/0.sigstore.json', data: Buffer.from('{}') },
]);
const gz = gzipSync(tar);

async function* slowly(parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const part of parts) {
    await new Promise((resolve) => setImmediate(resolve));
    yield part;
  }
}

function split(bytes: Buffer, size: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
  return parts;
}

async function outcome(parts: Buffer[]): Promise<string> {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out: Buffer[] = [];
  try {
    const n = await gunzipStream(slowly(parts), total, (chunk) => out.push(chunk));
    expect(n).toBe(Buffer.concat(out).length);
    return `ok ${Buffer.concat(out).toString('base64').length}:${Buffer.concat(out).equals(tar)}`;
  } catch (error) {
    if (!(error instanceof GunzipError)) throw error;
    return `${error.reason}: ${error.message.replace(/ \(.*\)$/, '')}`;
  }
}

describe('gunzipStream', () => {
  it('inflates the same bytes in one piece and in many', async () => {
    for (const size of [gz.length, 1, 100, 4096]) expect(await outcome(split(gz, size))).toBe(`ok ${tar.toString('base64').length}:true`);
  });

  it('refuses bytes after the member, in the same chunk or in later ones', async () => {
    const message = 'malformed: the bundle has data after its compressed stream';
    expect(await outcome([Buffer.concat([gz, Buffer.alloc(64)])])).toBe(message);
    expect(await outcome([gz, Buffer.alloc(64)])).toBe(message);
    expect(await outcome([gz, Buffer.alloc(64), Buffer.alloc(64)])).toBe(message);
    expect(await outcome([gz, Buffer.alloc(1024 ** 2), Buffer.alloc(1024 ** 2)])).toBe(message);
    expect(await outcome([gz, gzipSync(Buffer.alloc(BLOCK))])).toBe(message);
  });

  it('refuses a stream that is not gzip, cut short or damaged, alike in any chunking', async () => {
    expect(await outcome(split(Buffer.concat([Buffer.from('PK'), gz]), 1))).toBe('malformed: the bundle is not a gzip stream');
    for (const parts of [[gz.subarray(0, gz.length - 100)], split(gz.subarray(0, gz.length - 100), 7)]) {
      expect(await outcome(parts)).toBe("malformed: the bundle's compressed stream is damaged");
    }
    for (let i = 10; i < gz.length; i += 97) {
      const damaged = Buffer.from(gz);
      damaged[i] = damaged[i]! ^ 0x55;
      expect(await outcome(split(damaged, 13)), `byte ${i}`).toBe(await outcome([damaged]));
    }
  });

  it('refuses output over the ratio cap while streaming', async () => {
    const bomb = gzipSync(Buffer.alloc(32 * 1024 ** 2), { level: 9 });
    expect(await outcome(split(bomb, 1000))).toMatch(/^limit: the bundle decompresses to more than \d+ bytes/);
  });
});

describe('decodeBundle from chunks', () => {
  it('gives the same entries as from a buffer, and the SHA-256 of each file', async () => {
    const whole = await decodeBundle(gz);
    const streamed = await decodeBundle({ size: gz.length, chunks: () => slowly(split(gz, 333)) }, { hash: true });
    expect(streamed.manifestBytes.equals(whole.manifestBytes)).toBe(true);
    expect([...streamed.files.keys()]).toEqual([...whole.files.keys()]);
    expect(streamed.files.get('1_a.up.sql')!.equals(whole.files.get('1_a.up.sql')!)).toBe(true);
    expect(streamed.digests?.get('1_a.up.sql')).toMatch(/^[0-9a-f]{64}$/);
    expect(whole.digests).toBeUndefined();
  });

  it("gives the manifest's SHA-256, as read, when asked to hash, whole or in chunks", async () => {
    const sha256 = createHash('sha256').update('{}\n').digest('hex');
    expect((await decodeBundle(gz, { hash: true })).manifestSha256).toBe(sha256);
    expect((await decodeBundle({ size: gz.length, chunks: () => slowly(split(gz, 100)) }, { hash: true })).manifestSha256).toBe(sha256);
    expect((await decodeBundle(gz)).manifestSha256).toBeUndefined();
  });
});

/** A small archive, so that every byte of its compressed form can be changed. */
const small = rawTar([{ name: 'manifest.json', data: Buffer.from('{"a":1}\n') }, { name: 'files/1_a.up.sql', data: Buffer.from('CREATE TABLE a (id INTEGER);\n') }]);
const smallGz = gzipSync(small);

/** What gunzipWhole says of `bytes`, in outcome()'s words, with zlib's own detail kept. */
function wholeOutcome(bytes: Buffer): string {
  try {
    const out = gunzipWhole(bytes);
    if (!out) return 'too large for one call';
    return `ok ${out.length}:${out.equals(small)}`;
  } catch (error) {
    if (!(error instanceof GunzipError)) throw error;
    return `${error.reason}: ${error.message}`;
  }
}

async function streamOutcome(bytes: Buffer): Promise<string> {
  try {
    const out: Buffer[] = [];
    await gunzipStream([bytes], bytes.length, (chunk) => out.push(chunk));
    return `ok ${Buffer.concat(out).length}:${Buffer.concat(out).equals(small)}`;
  } catch (error) {
    if (!(error instanceof GunzipError)) throw error;
    return `${error.reason}: ${error.message}`;
  }
}

describe('gunzipWhole: a small bundle in one call, with the verdicts of the stream', () => {
  it('every byte changed, every length cut, bytes after the member, a second member', async () => {
    const cases: Array<[string, Buffer]> = [['whole', smallGz]];
    for (let i = 0; i < smallGz.length; i++) {
      for (const value of [smallGz[i]! ^ 0xff, (smallGz[i]! + 1) & 0xff, 0, 0x1f]) {
        const changed = Buffer.from(smallGz);
        changed[i] = value;
        cases.push([`byte ${i} = ${value}`, changed]);
      }
    }
    for (let length = 0; length < smallGz.length; length++) cases.push([`cut to ${length}`, smallGz.subarray(0, length)]);
    for (const tail of [Buffer.alloc(1), Buffer.alloc(64), Buffer.from('x'), Buffer.from([0x1f]), Buffer.from([0x1f, 0x8b]), gzipSync(Buffer.alloc(BLOCK)), smallGz]) cases.push([`followed by ${tail.length} bytes`, Buffer.concat([smallGz, tail])]);
    const verdicts = new Set<string>();
    for (const [label, bytes] of cases) {
      const verdict = wholeOutcome(bytes);
      expect(verdict, label).toBe(await streamOutcome(bytes));
      verdicts.add(verdict.replace(/ \(.*\)$/, ''));
    }
    // The cases reach every kind of verdict.
    expect([...verdicts].sort()).toEqual(
      [
        `ok ${small.length}:true`,
        'malformed: the bundle has data after its compressed stream',
        'malformed: the bundle is not a gzip stream',
        "malformed: the bundle's compressed stream is damaged",
      ].sort(),
    );
  });

  it('refuses output over the cap for its size, as the stream does', async () => {
    const bomb = gzipSync(Buffer.alloc(32 * 1024 ** 2), { level: 1 });
    expect(wholeOutcome(bomb)).toMatch(/^limit: the bundle decompresses to more than \d+ bytes/);
    expect(wholeOutcome(bomb)).toBe(await streamOutcome(bomb));
  });

  it('leaves a large input, or a large output allowed by the cap, to the stream', () => {
    expect(gunzipWhole(gzipSync(randomBytes(1024 ** 2 + 1), { level: 1 }))).toBeUndefined();
    // 300 kB of random bytes allow 60 MB of output: more than one call inflates.
    expect(gunzipWhole(gzipSync(Buffer.concat([randomBytes(300_000), Buffer.alloc(40 * 1024 ** 2)]), { level: 1 }))).toBeUndefined();
  });
});
