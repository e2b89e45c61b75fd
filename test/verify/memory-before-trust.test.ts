/**
 * T5.19: an unsigned or wrongly signed bundle is refused before it costs more than about
 * 256 MB of memory, whatever its compression ratio. Each hostile bundle is built for real
 * (written to disk piece by piece, never held whole here), run through `migseal apply` against a real
 * SQLite database, and the child's peak resident set size is read from the child itself
 * (process.resourceUsage at exit).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureEntryName } from '../../src/format/bundle-archive.js';
import { sha256Hex } from '../../src/format/digest.js';
import { signManifest } from '../../src/signing/sign-manifest.js';
import { BIN, runNode } from '../helpers/cli.js';
import { LIMITS } from '../../src/limits.js';
import { makeKey, type TestKey } from '../helpers/fixtures.js';
import { GzipRunsWriter } from '../helpers/gzip-runs.js';
import { BLOCK, rawHeader } from '../format/tar-bytes.js';
import { decodeBundle, makeWorld, type World } from '../helpers/verify-world.js';

const MiB = 1024 ** 2;
/** The promise, in kilobytes as resourceUsage reports it. */
const BOUND_KB = 256 * 1024;

let world: World;
let db: string;
let preload: string;
beforeAll(async () => {
  world = await makeWorld();
  db = join(world.dir, 'shop.sqlite');
  const sqlite = new Database(db);
  sqlite.exec("CREATE TABLE kept (note TEXT); INSERT INTO kept VALUES ('before the attack');");
  sqlite.close();
  preload = join(world.dir, 'peak-rss.mjs');
  writeFileSync(preload, "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.PEAK_RSS_FILE, String(process.resourceUsage().maxRSS)));\n");
}, 60_000);
afterAll(() => world?.cleanup());

type Fill = Buffer | { size: number; byte?: number; random?: boolean; randomHead?: number };
interface Entry {
  name: string;
  fill: Fill;
}

let count = 0;
/** Writes a gzip(tar) of `entries` to disk, in this order, and returns its path: runs of one byte are never held whole. */
function writeBundle(entries: Entry[]): string {
  const path = join(world.dir, `hostile-${++count}.migseal`);
  const gz = new GzipRunsWriter(path);
  for (const { name, fill } of entries) {
    const size = Buffer.isBuffer(fill) ? fill.length : fill.size;
    gz.bytes(rawHeader({ name, size }));
    if (Buffer.isBuffer(fill)) gz.bytes(fill);
    else {
      const head = fill.random ? size : (fill.randomHead ?? 0);
      for (let left = head; left > 0; left -= MiB) gz.bytes(randomBytes(Math.min(MiB, left)));
      gz.run(fill.byte ?? 0x20, size - head);
    }
    gz.run(0, (BLOCK - (size % BLOCK)) % BLOCK);
  }
  gz.run(0, 2 * BLOCK);
  gz.end();
  return path;
}

interface Run {
  code: number;
  report: { code?: string; message?: string; ok?: boolean };
  peakKb: number;
}

/** `migseal apply BUNDLE --json` in a child whose peak RSS it reports itself. */
async function applyMeasured(bundle: string, policy = world.policy): Promise<Run> {
  const rssFile = join(world.dir, `rss-${count}-${Math.random().toString(36).slice(2)}`);
  const run = await runNode(['--import', preload, BIN, 'apply', bundle, '--trust', policy, '--db', `sqlite:${db}`, '--json'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PEAK_RSS_FILE: rssFile, MIGSEAL_AUDIT_LOG: join(world.dir, 'audit.jsonl') },
  });
  let report = {};
  try {
    report = JSON.parse(run.stdout);
  } catch {
    /* the assertion on the code says what happened */
  }
  return { code: run.code, report, peakKb: Number(readFileSync(rssFile, 'utf8')) };
}

const digestOf = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function expectRefusedWithin(bundle: string, code: string, message: RegExp, policy?: string): Promise<number> {
  const before = digestOf(db);
  const run = await applyMeasured(bundle, policy);
  expect({ exit: run.code, code: run.report.code }).toEqual({ exit: 2, code });
  expect(run.report.message).toMatch(message);
  expect(run.peakKb, `peak RSS ${Math.round(run.peakKb / 1024)} MB`).toBeLessThan(BOUND_KB);
  expect(digestOf(db)).toBe(before);
  return run.peakKb;
}

/** The world's signed manifest and signature, ready to put in front of other entries. */
async function signedHead(signer: TestKey = world.release): Promise<{ entries: Entry[]; files: Map<string, Buffer> }> {
  const { manifestBytes, files } = await decodeBundle(world.bundle);
  const signature = await signManifest(sha256Hex(manifestBytes), { role: 'release', project: 'shop', release: '42' }, signer.signer);
  return { entries: [{ name: 'manifest.json', fill: manifestBytes }, { name: signatureEntryName(signature), fill: signature }], files };
}

describe('memory before trust (T5.19)', () => {
  // 512 MiB of spaces compress about a thousandfold; 3 MiB of random bytes keep the ratio under the cap.
  const bomb = (name: string): Entry[] => [
    { name, fill: { size: 512 * MiB } },
    { name: 'files/padding.bin', fill: { size: 3 * MiB, random: true } },
  ];

  it('a gzip bomb, unsigned: one 512 MiB file of spaces in a 3.5 MB bundle', async () => {
    const path = writeBundle([...bomb('files/1_bomb.up.sql'), { name: 'manifest.json', fill: Buffer.from('{}') }]);
    await expectRefusedWithin(path, 'BUNDLE_UNSIGNED', /The bundle is not signed/);
  }, 120_000);

  it('a gzip bomb behind a signature by a key the policy does not name', async () => {
    const { entries } = await signedHead(world.stranger);
    await expectRefusedWithin(writeBundle([...bomb('files/1_bomb.up.sql'), ...entries]), 'SIGNER_UNKNOWN', /trust policy does not name/);
  }, 120_000);

  it('a validly signed manifest whose migration file was swapped for a gzip bomb of the same name', async () => {
    const { entries, files } = await signedHead();
    const name = [...files.keys()][0]!;
    const rest = [...files].slice(1).map(([n, data]) => ({ name: `files/${n}`, fill: data }));
    const path = writeBundle([...entries, { name: `files/${name}`, fill: { size: 512 * MiB } }, { name: 'files/pad', fill: { size: 3 * MiB, random: true } }, ...rest]);
    // The padding is an extra file, the bomb a file at the wrong size: the file set is checked first.
    await expectRefusedWithin(path, 'FILE_SET_MISMATCH', /holds files\/pad which the manifest does not name/);
    // The bomb carries its own incompressible head, so the archive's ratio stays under the cap.
    const exact = writeBundle([...entries, { name: `files/${name}`, fill: { size: 512 * MiB, randomHead: 3 * MiB } }, ...rest]);
    await expectRefusedWithin(exact, 'FILE_DIGEST_MISMATCH', new RegExp(`The file ${name} is ${512 * MiB} bytes, but the signed manifest says \\d+`));
  }, 180_000);

  it('a tar entry of 1 GiB less a block (the per-entry cap), unsigned', async () => {
    const path = writeBundle([
      { name: 'files/a.sql', fill: { size: 1024 * MiB - BLOCK } },
      { name: 'files/pad.bin', fill: { size: 6 * MiB, random: true } },
      { name: 'manifest.json', fill: Buffer.from('{}') },
    ]);
    await expectRefusedWithin(path, 'BUNDLE_UNSIGNED', /not signed/);
  }, 240_000);

  it('many entries: 99,000 files of 1000 bytes, unsigned', async () => {
    const entries: Entry[] = Array.from({ length: 99_000 }, (_, i) => ({ name: `files/${String(i).padStart(90, '0')}.sql`, fill: { size: 1000, byte: 0x41 } }));
    const path = writeBundle([...entries, { name: 'manifest.json', fill: Buffer.from('{}') }]);
    await expectRefusedWithin(path, 'BUNDLE_UNSIGNED', /not signed/);
  }, 180_000);

  it('a manifest of 1 GiB less a block, and signatures over their cap', async () => {
    const path = writeBundle([
      { name: `signatures/${'0'.repeat(32)}.sigstore.json`, fill: { size: 600 * MiB } },
      { name: 'manifest.json', fill: { size: 1024 * MiB - BLOCK } },
      { name: 'files/pad.bin', fill: { size: 9 * MiB, random: true } },
    ]);
    await expectRefusedWithin(path, 'ARCHIVE_LIMIT_EXCEEDED', /larger than \d+ bytes/);
  }, 240_000);

  it('control: a signed bundle whose files exceed what is held before trust verifies and applies', async () => {
    const big = makeKey(world.dir, 'big-release');
    const migrations = join(world.dir, 'big-migrations');
    const { writeMigrations, packBundle, writePolicy } = await import('../helpers/fixtures.js');
    // One row of 5 MiB a file: the budget counts bytes, and one long string is cheap to analyse where 100,000 rows of
    // INSERT took seconds. Together just over the untrusted budget: the first is held, the second only hashed, then
    // read again once trusted.
    const note = (letter: string) => letter.repeat(5 * MiB);
    const files = { '1_big.up.sql': `CREATE TABLE big (note TEXT);\nINSERT INTO big (note) VALUES ('${note('a')}');\n`, '2_more.up.sql': `INSERT INTO big (note) VALUES ('${note('b')}');\n` };
    const sizes = Object.values(files).map((text) => Buffer.byteLength(text));
    expect(sizes[0]!).toBeLessThan(LIMITS.maxUntrustedFileBytes);
    expect(sizes[0]! + sizes[1]!).toBeGreaterThan(LIMITS.maxUntrustedFileBytes);
    writeMigrations(migrations, files);
    // Analysed for SQLite alone (the database it runs on): the same bundle shape, half the parsing.
    const bundle = await packBundle({ dir: migrations, dialect: 'sqlite', signers: [{ signer: big.signer, role: 'release' }] });
    const path = join(world.dir, 'big.migseal');
    writeFileSync(path, bundle);
    const policy = writePolicy(world.dir, { keys: [{ key: big, roles: ['release'] }] });
    const fresh = join(world.dir, 'big.sqlite');
    const run = await runNode([BIN, 'apply', path, '--trust', policy, '--db', `sqlite:${fresh}`], { env: { PATH: process.env.PATH, MIGSEAL_AUDIT_LOG: join(world.dir, 'audit.jsonl') } });
    expect(run.code, run.stderr).toBe(0);
    const sqlite = new Database(fresh, { readonly: true });
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    expect((sqlite.prepare('SELECT note FROM big ORDER BY rowid').pluck().all() as string[]).map(sha256)).toEqual([sha256(note('a')), sha256(note('b'))]);
    sqlite.close();
  }, 120_000);
});
