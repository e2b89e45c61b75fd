/**
 * The release commands as a user runs them: keys generate, pack, sign, inspect and the
 * usage errors, through the real CLI on real files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { BIN, jsonOf, runCli } from '../helpers/cli.js';
import { removeDir, SHOP_MIGRATIONS, tempDir, writeMigrations } from '../helpers/fixtures.js';

let dir: string;
let migrations: string;
const PASSPHRASE = 'correct horse battery staple 7f3a';

beforeAll(() => {
  dir = tempDir('migseal-cli-');
  migrations = writeMigrations(join(dir, 'db', 'migrations'), SHOP_MIGRATIONS);
});
afterAll(() => dir && removeDir(dir));

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env });

describe('usage errors', () => {
  it('unknown flag: exit 1 with the usage', async () => {
    const result = await cli(['verify', 'x.migseal', '--trust', 't.json', '--enviroment', 'prod']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^migseal: error: .*--enviroment/);
    expect(result.stderr).toContain('Usage: migseal verify BUNDLE --trust FILE');
  });

  it('unknown flag with --json: a coded document', async () => {
    const result = await cli(['inspect', 'x.migseal', '--bogus', '--json']);
    expect(result.code).toBe(1);
    expect(jsonOf(result)).toMatchObject({ ok: false, code: 'USAGE', exitCode: 1 });
  });

  it('missing required flag: exit 1 naming it', async () => {
    const result = await cli(['verify', 'x.migseal']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--trust is required\. Usage: migseal verify/);
    const pack = await cli(['pack', migrations, '--project', 'shop', '--out', 'o.migseal']);
    expect(pack.code).toBe(1);
    expect(pack.stderr).toMatch(/--release is required/);
    expect(existsSync(join(dir, 'o.migseal'))).toBe(false);
  });

  it('a command run with no arguments prints the list and exits 1', async () => {
    const result = await cli([]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/keys generate[\s\S]*pack[\s\S]*verify/);
  });
});

describe('keys generate', () => {
  it('writes PREFIX.key with mode 0600 and PREFIX.pub, and refuses to overwrite without --force', async () => {
    const first = await cli(['keys', 'generate', '--out', 'ci-release', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const report = jsonOf(first);
    expect(report).toMatchObject({ ok: true, privateKey: 'ci-release.key', publicKey: 'ci-release.pub', type: 'ed25519', encrypted: false });
    expect(statSync(join(dir, 'ci-release.key')).mode & 0o777).toBe(0o600);
    const pem = readFileSync(join(dir, 'ci-release.key'), 'utf8');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(readFileSync(join(dir, 'ci-release.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);

    const again = await cli(['keys', 'generate', '--out', 'ci-release']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/ci-release\.key already exists; pass --force/);
    expect(readFileSync(join(dir, 'ci-release.key'), 'utf8')).toBe(pem);

    const forced = await cli(['keys', 'generate', '--out', 'ci-release', '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, 'ci-release.key'), 'utf8')).not.toBe(pem);
    expect(statSync(join(dir, 'ci-release.key')).mode & 0o777).toBe(0o600);
    expect(jsonOf(forced).keyId).not.toBe(report.keyId);
  });

  it('refuses before writing anything when only the .pub exists (no mismatched pair left behind)', async () => {
    writeFileSync(join(dir, 'half.pub'), 'an older public key\n');
    const result = await cli(['keys', 'generate', '--out', 'half']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/half\.pub already exists; pass --force/);
    expect(existsSync(join(dir, 'half.key'))).toBe(false);
    expect(readFileSync(join(dir, 'half.pub'), 'utf8')).toBe('an older public key\n');
  });

  it('keeps mode 0600 on the private key under umask 000', async () => {
    const run = () => spawnSync('sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, BIN, 'keys', 'generate', '--out', 'umask-key', '--force'], { cwd: dir, encoding: 'utf8' });
    const result = run();
    expect(result.status, result.stderr).toBe(0);
    expect(statSync(join(dir, 'umask-key.key')).mode & 0o777).toBe(0o600);
  });

  it('encrypts the key when MIGSEAL_KEY_PASSPHRASE is set; pack needs the passphrase and never prints it', async () => {
    const gen = await cli(['keys', 'generate', '--out', 'enc', '--json'], { MIGSEAL_KEY_PASSPHRASE: PASSPHRASE });
    expect(gen.code, gen.stderr).toBe(0);
    expect(jsonOf(gen).encrypted).toBe(true);
    const pem = readFileSync(join(dir, 'enc.key'), 'utf8');
    expect(pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    expect(pem).not.toContain(PASSPHRASE);

    const args = ['pack', migrations, '--project', 'shop', '--release', '42', '--key', 'enc.key', '--out', 'enc.migseal'];
    const missing = await cli(args);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/enc\.key is encrypted; set MIGSEAL_KEY_PASSPHRASE/);

    const wrong = await cli([...args, '--json'], { MIGSEAL_KEY_PASSPHRASE: `${PASSPHRASE}-wrong` });
    expect(wrong.code).toBe(1);
    expect(jsonOf(wrong)).toMatchObject({ code: 'KEY_INVALID', message: expect.stringMatching(/could not be decrypted with the given passphrase/) });
    for (const r of [missing, wrong]) expect(r.stdout + r.stderr).not.toContain(PASSPHRASE);
    expect(existsSync(join(dir, 'enc.migseal'))).toBe(false);

    const ok = await cli(args, { MIGSEAL_KEY_PASSPHRASE: PASSPHRASE });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout + ok.stderr).not.toContain(PASSPHRASE);

    writeFileSync(join(dir, 'passphrase.txt'), `${PASSPHRASE}\n`, { mode: 0o600 });
    const viaFile = await cli([...args.slice(0, -1), 'enc-file.migseal'], { MIGSEAL_KEY_PASSPHRASE_FILE: join(dir, 'passphrase.txt') });
    expect(viaFile.code, viaFile.stderr).toBe(0);
    expect(readFileSync(join(dir, 'enc-file.migseal')).equals(readFileSync(join(dir, 'enc.migseal')))).toBe(true);
  });
});

describe('pack, sign, inspect, verify', () => {
  it('sign adds an approval and keeps the release id; inspect --json shows what the bundle claims', async () => {
    for (const name of ['rel', 'alice']) expect((await cli(['keys', 'generate', '--out', name])).code).toBe(0);
    writeFileSync(
      join(dir, 'trust.json'),
      JSON.stringify({
        project: 'shop',
        keys: [
          { id: 'release-2026', publicKey: 'rel.pub', roles: ['release'] },
          { id: 'alice', publicKey: 'alice.pub', roles: ['approve'], notAfter: '2099-06-30T00:00:00Z', revoked: false },
        ],
        environments: { default: { release: 1 }, production: { release: 1, approve: 1 } },
      }),
      { mode: 0o644 },
    );
    const packed = await cli(['pack', migrations, '--project', 'shop', '--release', '42', '--key', 'rel.key', '--out', 'shop-42.migseal', '--json']);
    expect(packed.code, packed.stderr).toBe(0);
    const releaseId = jsonOf(packed).digest as string;
    expect(releaseId).toMatch(/^[0-9a-f]{64}$/);
    const before = await decodeBundle(readFileSync(join(dir, 'shop-42.migseal')));

    const prod = await cli(['verify', 'shop-42.migseal', '--trust', 'trust.json', '--env', 'production', '--json']);
    expect(prod.code).toBe(2);
    expect(jsonOf(prod).code).toBe('THRESHOLD_NOT_MET');

    const signed = await cli(['sign', 'shop-42.migseal', '--key', 'alice.key', '--role', 'approve', '--json']);
    expect(signed.code, signed.stderr).toBe(0);
    expect(jsonOf(signed)).toMatchObject({ ok: true, digest: releaseId, role: 'approve' });
    const after = await decodeBundle(readFileSync(join(dir, 'shop-42.migseal')));
    expect(after.manifestBytes.equals(before.manifestBytes)).toBe(true);
    expect([...after.files.keys()]).toEqual([...before.files.keys()]);
    expect(after.signatures.size).toBe(2);

    const again = await cli(['sign', 'shop-42.migseal', '--key', 'alice.key', '--role', 'approve', '--out', 'twice.migseal']);
    expect(again.code).toBe(0);
    expect(readFileSync(join(dir, 'twice.migseal')).equals(readFileSync(join(dir, 'shop-42.migseal')))).toBe(true); // Ed25519: same signature, no duplicate

    const verified = await cli(['verify', 'shop-42.migseal', '--trust', 'trust.json', '--env', 'production', '--json']);
    expect(verified.code, verified.stdout).toBe(0);
    expect(jsonOf(verified)).toMatchObject({ ok: true, digest: releaseId, signers: expect.arrayContaining([expect.objectContaining({ id: 'release-2026', role: 'release' }), expect.objectContaining({ id: 'alice', role: 'approve' })]) });
    expect(jsonOf(verified).signers).toHaveLength(2);

    const inspected = await cli(['inspect', 'shop-42.migseal', '--json']);
    expect(inspected.code).toBe(0);
    const report = jsonOf(inspected) as { digest: string; verified: boolean; filesMatch: boolean; manifest: { project: string; release: string; migrations: unknown[]; files: unknown[] }; signatures: Array<{ role: string; keyId: string }> };
    expect(report.digest).toBe(releaseId);
    expect(report.verified).toBe(false);
    expect(report.filesMatch).toBe(true);
    expect(report.manifest).toMatchObject({ project: 'shop', release: '42', format: 'migseal.manifest/v1', layout: 'golang-migrate' });
    expect(report.manifest.migrations).toHaveLength(3);
    expect(report.manifest.files).toHaveLength(6);
    expect(report.signatures.map((s) => s.role).sort()).toEqual(['approve', 'release']);

    const text = await cli(['inspect', 'shop-42.migseal']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`release id   sha256:${releaseId}`);
    expect(text.stdout).toMatch(/unverified/);
  });

  it('sign refuses a bundle whose files no longer match its manifest', async () => {
    const contents = await decodeBundle(readFileSync(join(dir, 'shop-42.migseal')));
    const { encodeBundle } = await import('../../src/format/bundle-encode.js');
    contents.files.set('1_create_users.up.sql', Buffer.from('DROP TABLE users;\n'));
    writeFileSync(join(dir, 'tampered.migseal'), encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: contents.signatures.values() }));
    const before = readFileSync(join(dir, 'tampered.migseal'));
    const result = await cli(['sign', 'tampered.migseal', '--key', 'alice.key', '--json']);
    expect(result.code).toBe(2);
    expect(jsonOf(result).code).toBe('FILE_DIGEST_MISMATCH');
    expect(readFileSync(join(dir, 'tampered.migseal')).equals(before)).toBe(true);
  });
});
