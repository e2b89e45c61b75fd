/**
 * Byte-identical bundles for the same inputs: independent of checkout path, file mtimes,
 * umask, file system order and working directory; SOURCE_DATE_EPOCH fixes the one mtime.
 */
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKey, removeDir, SHOP_MIGRATIONS, tempDir, type TestKey } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { pack } from '../../src/pack/index.js';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { parseManifest, type ManifestFinding } from '../../src/format/manifest.js';
import { canonicalByParts } from '../../src/format/strict-json.js';
import { safeMigrations } from '../../bench/lint-corpus.mjs';

let dir: string;
let key: TestKey;
let first: string;
let second: string;

/** Writes the shop migrations in the given order, under the given umask, with the given mtime. */
function writeCopy(path: string, order: string[], umask: number, mtime: Date): string {
  const previous = process.umask(umask);
  try {
    mkdirSync(path, { recursive: true });
    for (const name of order) writeFileSync(join(path, name), SHOP_MIGRATIONS[name]!);
  } finally {
    process.umask(previous);
  }
  for (const name of order) utimesSync(join(path, name), mtime, mtime);
  return path;
}

beforeAll(() => {
  dir = tempDir('migseal-determinism-');
  key = makeKey(dir, 'release');
  const names = Object.keys(SHOP_MIGRATIONS);
  first = writeCopy(join(dir, 'checkout-a', 'db', 'migrations'), names, 0o022, new Date('2001-01-01T00:00:00Z'));
  second = writeCopy(join(dir, 'elsewhere', 'some', 'deeper', 'path', 'migrations'), [...names].reverse(), 0o077, new Date('2025-07-04T12:34:56Z'));
});
afterAll(() => dir && removeDir(dir));

async function cliPack(source: string, out: string, env: Record<string, string> = {}, cwd = dir): Promise<Buffer> {
  const result = await runCli(['pack', source, '--project', 'shop', '--release', '42', '--key', key.privatePath, '--out', out], { cwd, env });
  expect(result.code, result.stderr).toBe(0);
  return readFileSync(out);
}

function tarHeaders(bundle: Buffer): Buffer[] {
  const tar = gunzipSync(bundle);
  const headers: Buffer[] = [];
  for (let offset = 0; offset < tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    headers.push(header);
    const size = parseInt(header.toString('latin1', 124, 136).replace(/\0.*$/, ''), 8);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return headers;
}

const field = (h: Buffer, offset: number, width: number) => h.toString('latin1', offset, offset + width);

describe('pack is deterministic', () => {
  it('the same folder from two paths (other mtimes, umask, creation order, cwd) gives the same bytes', async () => {
    const a = await cliPack(first, join(dir, 'a.migseal'), {}, first);
    const b = await cliPack(second, join(dir, 'b.migseal'), {}, dir);
    expect(a.length).toBeGreaterThan(0);
    expect(a.equals(b)).toBe(true);
    const again = await cliPack(first, join(dir, 'a2.migseal'));
    expect(again.equals(a)).toBe(true);
  });

  it('the library gives the same bytes as the CLI', async () => {
    const cli = await cliPack(second, join(dir, 'c.migseal'));
    const lib = await pack({ dir: first, project: 'shop', release: '42', signers: [{ signer: key.signer, role: 'release' }], env: {} });
    expect(lib.bundle.equals(cli)).toBe(true);
  });

  it('a folder marked any, analysed for SQLite in a worker thread by the CLI and in one thread by the library: the same bytes', async () => {
    const corpus = join(dir, 'corpus');
    mkdirSync(corpus);
    for (const [name, text] of Object.entries(safeMigrations(150))) writeFileSync(join(corpus, name), text);
    const cli = await cliPack(corpus, join(dir, 'corpus.migseal'));
    const lib = await pack({ dir: corpus, project: 'shop', release: '42', signers: [{ signer: key.signer, role: 'release' }], env: {} });
    expect(lib.bundle.equals(cli)).toBe(true);
    // Both dialects found something, and SQLite could not read every PostgreSQL statement.
    const findings = lib.manifest.findings;
    expect(new Set(findings.map((f) => f.dialect))).toEqual(new Set(['postgres', 'sqlite']));
    expect(findings.some((f) => f.dialect === 'sqlite' && f.rule === 'parse/unreadable-statement')).toBe(true);
  }, 60_000);

  it('SOURCE_DATE_EPOCH sets the one mtime and the creation time, identically from both paths', async () => {
    const env = { SOURCE_DATE_EPOCH: '1700000000' };
    const a = await cliPack(first, join(dir, 'epoch-a.migseal'), env);
    const b = await cliPack(second, join(dir, 'epoch-b.migseal'), env);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(readFileSync(join(dir, 'a.migseal')))).toBe(false);
    for (const h of tarHeaders(a)) expect(parseInt(field(h, 136, 12), 8)).toBe(1_700_000_000);
    const manifest = JSON.parse((await decodeBundle(a)).manifestBytes.toString('utf8'));
    expect(manifest.createdAt).toBe('2023-11-14T22:13:20Z');
  });

  it('the manifest is canonicalJson of what pack returns, built value by value, and the bundle verifies', async () => {
    const lib = await pack({ dir: first, project: 'shop', release: '42', signers: [{ signer: key.signer, role: 'release' }], env: {} });
    const { manifestBytes } = await decodeBundle(lib.bundle);
    expect(manifestBytes.toString('utf8')).toBe(canonicalByParts(lib.manifest));
    expect(parseManifest(manifestBytes)).toEqual(JSON.parse(JSON.stringify(lib.manifest)));
  });

  it('a manifest with problems is refused with every problem, in the order of its fields as made', async () => {
    // A finding handed to the library with fields the manifest does not know, in an order of its own.
    const findings = [{ zeta: 1, rule: 'x/y', severity: 'error', category: 'c', file: '000001_a.up.sql', line: 1, message: 'm', alpha: 2 }] as unknown as ManifestFinding[];
    await expect(pack({ dir: first, project: 'bad name', release: '42', findings, source: { commit: 'XYZ' }, env: {} })).rejects.toMatchObject({
      code: 'USAGE',
      message: 'Cannot pack: $.project must be a project name; $.source.commit must be a hex commit id; $.findings[0].zeta is not a known field; $.findings[0].alpha is not a known field.',
    });
  });

  it('refuses a SOURCE_DATE_EPOCH that is not a number of seconds', async () => {
    const result = await runCli(['pack', first, '--project', 'shop', '--release', '42', '--out', join(dir, 'bad.migseal'), '--json'], { env: { SOURCE_DATE_EPOCH: '2023-01-01' } });
    expect(result.code, result.stderr).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/SOURCE_DATE_EPOCH must be a whole number/) });
  });
});

describe('bytes on the wire', () => {
  it('gzip header: no name, mtime 0, OS byte fixed', () => {
    const gz = readFileSync(join(dir, 'a.migseal'));
    expect([...gz.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]); // magic, deflate, no flags (no file name, no comment)
    expect(gz.readUInt32LE(4)).toBe(0); // mtime
    expect(gz[9]).toBe(0xff); // OS: unknown
  });

  it('tar headers: sorted plain files, mode 0644, uid/gid 0, no owner names, mtime 0, ustar', () => {
    const headers = tarHeaders(readFileSync(join(dir, 'a.migseal')));
    const names = headers.map((h) => field(h, 0, 100).replace(/\0+$/, ''));
    expect(names).toEqual([...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    expect(names.filter((n) => n.startsWith('files/'))).toHaveLength(6);
    expect(names).toContain('manifest.json');
    expect(names.filter((n) => n.startsWith('signatures/'))).toHaveLength(1);
    expect(names.filter((n) => n.startsWith('attestations/'))).toHaveLength(1);
    for (const h of headers) {
      expect(field(h, 100, 8)).toBe('0000644\0');
      expect(field(h, 108, 8)).toBe('0000000\0');
      expect(field(h, 116, 8)).toBe('0000000\0');
      expect(field(h, 136, 12)).toBe('00000000000\0');
      expect(field(h, 156, 1)).toBe('0');
      expect(field(h, 257, 8)).toBe('ustar\u000000');
      expect(h.subarray(265, 329).every((b) => b === 0)).toBe(true); // uname, gname
    }
  });
});
