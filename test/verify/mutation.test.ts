/**
 * Mutation test: every single-byte change and every truncation of a small real bundle is
 * either refused (a MigsealError with exit code 2) or verifies to exactly the original
 * manifest and file bytes. No other exception, no hang, no third outcome.
 *
 * The compressed bundle is mutated directly, and so is the tar stream inside it (re-gzipped),
 * so that the tar reader, the signature check and the manifest parser see damaged bytes too,
 * not only the gzip CRC.
 */
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigsealError } from '../../src/errors.js';
import { verifyBundle } from '../../src/verify/index.js';
import { loadTrustPolicy, type TrustPolicy } from '../../src/trust/policy.js';
import { gzip } from '../format/tar-bytes.js';
import { makeKey, packBundle, removeDir, tempDir, writeMigrations, writePolicy, type TestKey } from '../helpers/fixtures.js';
import { signatureEntryName } from '../../src/format/bundle-archive.js';
import { writeTar } from '../../src/format/tar.js';
import { sha256Hex } from '../../src/format/digest.js';
import { signManifest } from '../../src/signing/sign-manifest.js';
import { join } from 'node:path';

const NOW = new Date('2026-06-01T00:00:00Z');
const PER_CASE_MS = 5_000;

let dir: string;
let policy: TrustPolicy;
let original: Buffer;
let signer: TestKey['signer'];
let expected: { manifestBytes: Buffer; files: Map<string, Buffer> };

beforeAll(async () => {
  dir = tempDir('migseal-mutation-');
  const key = makeKey(dir, 'release');
  policy = loadTrustPolicy(writePolicy(dir, { keys: [{ key, roles: ['release'] }] }));
  const migrations = writeMigrations(join(dir, 'm'), {
    '1_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n',
    '1_users.down.sql': 'DROP TABLE users;\n',
    '2_posts.up.sql': 'CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER);\n',
  });
  signer = key.signer;
  original = await packBundle({ dir: migrations, signers: [{ signer: key.signer, role: 'release' }] });
  const verified = await verifyBundle(original, { policy, now: NOW });
  expected = { manifestBytes: Buffer.from(verified.manifestBytes), files: new Map([...verified.files].map(([p, b]) => [p, Buffer.from(b)])) };
  expect(expected.files.size).toBe(3);
});
afterAll(() => dir && removeDir(dir));

type Outcome = 'refused' | 'identical';

async function outcome(bundle: Buffer, label: string): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no answer within ${PER_CASE_MS} ms`)), PER_CASE_MS);
  });
  try {
    const verified = await Promise.race([verifyBundle(bundle, { policy, now: NOW }), timeout]);
    if (!verified.manifestBytes.equals(expected.manifestBytes)) throw new Error(`${label}: accepted with another manifest`);
    if (verified.files.size !== expected.files.size) throw new Error(`${label}: accepted with another file set`);
    for (const [path, data] of expected.files) {
      if (!verified.files.get(path)?.equals(data)) throw new Error(`${label}: accepted with other bytes for ${path}`);
    }
    return 'identical';
  } catch (error) {
    if (error instanceof MigsealError && error.exitCode === 2) return 'refused';
    throw new Error(`${label}: ${error instanceof MigsealError ? `exit ${error.exitCode} ${error.code}` : 'uncoded error'}: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

async function mutate(name: string, source: Buffer, wrap: (b: Buffer) => Buffer): Promise<Record<string, number>> {
  const counts: Record<string, number> = { refused: 0, identical: 0 };
  const tally = async (bytes: Buffer, label: string) => {
    const result = await outcome(wrap(bytes), label);
    counts[result]!++;
  };
  for (let i = 0; i < source.length; i++) {
    for (const [op, value] of [['xor 0xff', source[i]! ^ 0xff], ['+1', (source[i]! + 1) & 0xff]] as const) {
      const copy = Buffer.from(source);
      copy[i] = value;
      await tally(copy, `${name} byte ${i} ${op}`);
    }
  }
  const step = Math.max(1, Math.floor(source.length / 400));
  for (let length = 0; length < source.length; length += step) await tally(source.subarray(0, length), `${name} truncated to ${length}`);
  await tally(Buffer.concat([source, Buffer.from([0])]), `${name} plus one zero byte`);
  await tally(Buffer.concat([source, Buffer.from('x')]), `${name} plus one byte`);
  console.log(`${name}: ${source.length} bytes, ${counts.refused! + counts.identical!} mutations: ${counts.refused} refused, ${counts.identical} accepted with identical contents`);
  return counts;
}

describe('T2.9, T3.4 mutation', () => {
  it('every byte of the compressed bundle flipped, and truncations', { timeout: 60_000 }, async () => {
    expect(original.length).toBeLessThan(4096);
    const counts = await mutate('bundle', original, (b) => b);
    expect(counts.refused).toBeGreaterThan(original.length);
  });

  it('every byte of the tar stream flipped (re-gzipped), and truncations', { timeout: 90_000 }, async () => {
    const tar = gunzipSync(original);
    const counts = await mutate('tar', tar, (b) => gzip(b, 1));
    // Header padding, unused header bytes read as zero-required, etc. make most changes refusals.
    expect(counts.refused).toBeGreaterThan(tar.length);
  });

  it('every byte of the manifest flipped and validly re-signed: the strict parser decides', { timeout: 120_000 }, async () => {
    const counts: Record<string, number> = {};
    const bytes = expected.manifestBytes;
    for (let i = 0; i < bytes.length; i++) {
      for (const value of [bytes[i]! ^ 0xff, (bytes[i]! + 1) & 0xff, 0x22, 0x5c]) {
        const manifest = Buffer.from(bytes);
        manifest[i] = value;
        if (manifest.equals(bytes)) continue;
        const signature = await signManifest(sha256Hex(manifest), { role: 'release', project: 'shop', release: '42' }, signer);
        // The bundle's entries as encodeBundle writes them, compressed at zlib's fastest level: the compression is not under test here.
        const bundle = gzip(writeTar([{ path: 'manifest.json', data: manifest }, ...[...expected.files].map(([path, data]) => ({ path: `files/${path}`, data })), { path: signatureEntryName(signature), data: signature }]), 1);
        try {
          const verified = await verifyBundle(bundle, { policy, now: NOW });
          // Accepted only as a valid manifest over exactly the original files.
          expect(verified.manifestBytes.equals(manifest)).toBe(true);
          expect([...verified.files].every(([p, d]) => expected.files.get(p)?.equals(d))).toBe(true);
          expect(verified.files.size).toBe(expected.files.size);
          counts.accepted = (counts.accepted ?? 0) + 1;
        } catch (error) {
          if (!(error instanceof MigsealError) || error.exitCode !== 2) throw new Error(`manifest byte ${i} = ${value}: ${(error as Error).message}`, { cause: error });
          counts[error.code] = (counts[error.code] ?? 0) + 1;
        }
      }
    }
    console.log(`signed manifest: ${bytes.length} bytes, ${Object.values(counts).reduce((a, b) => a + b, 0)} mutations: ${JSON.stringify(counts)}`);
    expect(counts.MANIFEST_MALFORMED).toBeGreaterThan(0);
    expect(counts.MANIFEST_INVALID).toBeGreaterThan(0);
  });
});
