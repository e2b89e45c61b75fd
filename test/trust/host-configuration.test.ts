/**
 * Threats T5.13 and T5.14 (docs/threats.md): the host's own configuration, attacked the way a local user
 * or a careless operator would. Each attack goes through the CLI with real keys, real files
 * and a real SQLite database, which must be left byte for byte as it was.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, lchownSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeySigner } from '../../src/signing/key-signer.js';
import type { Signer } from '../../src/signing/signer.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { decodeBundle, makeWorld, sealBundle, type World } from '../helpers/verify-world.js';

let world: World;
let db: string;
beforeAll(async () => {
  world = await makeWorld();
  db = join(world.dir, 'shop.sqlite');
  const sqlite = new Database(db);
  sqlite.exec("CREATE TABLE kept (note TEXT); INSERT INTO kept VALUES ('before the attack');");
  sqlite.close();
});
afterAll(() => world?.cleanup());

const digestOf = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Runs `apply --json` with the policy and checks the refusal and that the database file did not change. */
async function refusedApply(bundle: Buffer, policy: string, code: string, message: RegExp): Promise<CliResult> {
  const path = join(world.dir, `attack-${Math.random().toString(36).slice(2)}.migseal`);
  writeFileSync(path, bundle);
  const before = digestOf(db);
  const result = await runCli(['apply', path, '--trust', policy, '--db', `sqlite:${db}`, '--json'], { env: { MIGSEAL_AUDIT_LOG: join(world.dir, 'audit.jsonl') } });
  const report = JSON.parse(result.stdout) as { code: string; message: string; exitCode: number };
  expect({ exit: result.code, code: report.code }, result.stderr).toEqual({ exit: 2, code });
  expect(report.message).toMatch(message);
  expect(digestOf(db)).toBe(before);
  return result;
}

let policies = 0;
/** A policy in a folder of its own: `files` are written beside it, `keys` name them. */
function policyFolder(files: Record<string, string | Buffer>, keys: Array<{ id: string; file: string }>, environments: Record<string, unknown> = { default: { release: 2 } }): string {
  const dir = join(world.dir, `host-policy-${++policies}`);
  mkdirSync(dir, { mode: 0o700 });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o644 });
  const path = join(dir, 'trust.json');
  writeFileSync(path, JSON.stringify({ project: 'shop', keys: keys.map((k) => ({ id: k.id, publicKey: k.file, roles: ['release'] })), environments }), { mode: 0o644 });
  return path;
}

/** The world's manifest and files, signed by each signer in the release role. */
async function signedTwice(signers: Signer[]): Promise<Buffer> {
  const { manifestBytes, files } = await decodeBundle(world.bundle);
  return sealBundle(manifestBytes, files, signers.map((signer) => ({ signer, role: 'release' as const })));
}

/** A signer that signs with `base`'s key but names another key id in its hint, as an attacker can. */
function withHint(base: Signer, hint: string): Signer {
  return {
    async sign(data: Buffer) {
      const signature = await base.sign(data);
      return { ...signature, key: { ...signature.key, hint } } as typeof signature;
    },
  };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const wrapped = (base64: string) => base64.replace(/.{1,20}/g, '$&\n  ');
const pem = (label: string, der: Buffer) => `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;

/** The P-256 key's SPKI DER with its point compressed (02/03 || x). */
function compressedSpki(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  return Buffer.concat([Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'), Buffer.from([2 + (y[31]! & 1)]), x]);
}

describe('one key listed twice in different encodings, to meet a 2-of-n threshold alone (T5.14)', () => {
  it('EC P-256: uncompressed PEM and compressed point as DER in bare base64, with one key signing twice under both ids: POLICY_INVALID naming both', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signer = new KeySigner(privateKey);
    const compressed = compressedSpki(publicKey);
    expect(createPublicKey({ key: compressed, format: 'der', type: 'spki' }).equals(publicKey)).toBe(true);
    // The second signature's hint is the id a byte-wise comparison would give the compressed encoding.
    const bundle = await signedTwice([signer, withHint(signer, sha256(compressed))]);
    const policy = policyFolder({ 'alice.pub': publicKey.export({ type: 'spki', format: 'pem' }) as string, 'bob.pub': wrapped(compressed.toString('base64')) }, [
      { id: 'alice', file: 'alice.pub' },
      { id: 'bob', file: 'bob.pub' },
    ]);
    await refusedApply(bundle, policy, 'POLICY_INVALID', /keys "alice" and "bob" are the same public key .*count twice toward a threshold/);
    const check = await runCli(['trust', 'check', policy, '--json']);
    expect(check.code).toBe(2);
    expect(JSON.parse(check.stdout).problems).toContainEqual({ kind: 'invalid', message: expect.stringMatching(/keys "alice" and "bob" are the same public key/) });
  });

  it.each([
    ['Ed25519: PEM, and DER on disk', () => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      return { privateKey, a: publicKey.export({ type: 'spki', format: 'pem' }) as string, b: publicKey.export({ type: 'spki', format: 'der' }) };
    }],
    ['Ed25519: PEM, and the same PEM body re-wrapped with spaces and CRLF', () => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const der = publicKey.export({ type: 'spki', format: 'der' });
      return { privateKey, a: pem('PUBLIC KEY', der), b: `-----BEGIN PUBLIC KEY-----\r\n ${der.toString('base64').replace(/.{1,7}/g, '$& ')}\r\n-----END PUBLIC KEY-----\r\n` };
    }],
    ['RSA: SPKI PEM, and PKCS#1 "RSA PUBLIC KEY" PEM', () => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      return { privateKey, a: publicKey.export({ type: 'spki', format: 'pem' }) as string, b: publicKey.export({ type: 'pkcs1', format: 'pem' }) as string };
    }],
    ['RSA: rsaEncryption SPKI, and the same modulus labelled RSASSA-PSS', () => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const pkcs1 = publicKey.export({ type: 'pkcs1', format: 'der' });
      // SEQUENCE { AlgorithmIdentifier { id-RSASSA-PSS }, BIT STRING { RSAPublicKey } }
      const algorithm = Buffer.from('300b06092a864886f70d01010a', 'hex');
      const bits = Buffer.concat([Buffer.from([0x03, 0x82, (pkcs1.length + 1) >> 8, (pkcs1.length + 1) & 0xff, 0x00]), pkcs1]);
      const body = Buffer.concat([algorithm, bits]);
      const pss = Buffer.concat([Buffer.from([0x30, 0x82, body.length >> 8, body.length & 0xff]), body]);
      expect(createPublicKey({ key: pss, format: 'der', type: 'spki' }).asymmetricKeyType).toBe('rsa-pss');
      return { privateKey, a: publicKey.export({ type: 'spki', format: 'pem' }) as string, b: pem('PUBLIC KEY', pss) };
    }],
  ])('%s: POLICY_INVALID naming both', async (_, make) => {
    const { privateKey, a, b } = make();
    const signer = new KeySigner(privateKey);
    const bundle = await signedTwice([signer, signer]);
    const policy = policyFolder({ 'alice.pub': a, 'bob.pub': b }, [
      { id: 'alice', file: 'alice.pub' },
      { id: 'bob', file: 'bob.pub' },
    ]);
    await refusedApply(bundle, policy, 'POLICY_INVALID', /keys "alice" and "bob" are the same public key/);
  });

  it('a key file holding two PEM blocks (only one would be read) is not a key: POLICY_INVALID', async () => {
    const one = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const two = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const policy = policyFolder({ 'both.pub': one + two }, [{ id: 'both', file: 'both.pub' }], { default: { release: 1 } });
    await refusedApply(world.bundle, policy, 'POLICY_INVALID', /both\.pub is not a public key: it holds more than one PEM block/);
  });

  it('control: one signature by a key listed once does not meet a 2-of-n threshold (THRESHOLD_NOT_MET)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signer = new KeySigner(privateKey);
    const bundle = await signedTwice([signer, withHint(signer, sha256(compressedSpki(publicKey)))]);
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const policy = policyFolder({ 'alice.pub': wrapped(compressedSpki(publicKey).toString('base64')), 'carol.pub': other }, [
      { id: 'alice', file: 'alice.pub' },
      { id: 'carol', file: 'carol.pub' },
    ]);
    await refusedApply(bundle, policy, 'THRESHOLD_NOT_MET', /needs 1 more release signature from role release/);
  });
});

const NOBODY = 65534;
const asRoot = process.geteuid?.() === 0;

/** A folder for one attack, owned by root (the running user here) and closed to others. */
function safeFolder(name: string): string {
  const dir = join(world.dir, name);
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  return dir;
}

/** trust.json and release.pub (the world's release key) in `dir`; returns the policy's path. */
function releasePolicyIn(dir: string): string {
  copyFileSync(world.release.publicPath, join(dir, 'release.pub'));
  chmodSync(join(dir, 'release.pub'), 0o644);
  const path = join(dir, 'trust.json');
  writeFileSync(path, JSON.stringify({ project: 'shop', keys: [{ id: 'release', publicKey: 'release.pub', roles: ['release'] }], environments: { default: { release: 1 } } }), { mode: 0o644 });
  return path;
}

async function trustCheckReports(policy: string, message: RegExp): Promise<void> {
  const check = await runCli(['trust', 'check', policy, '--json']);
  expect(check.code, check.stderr).toBe(2);
  expect(JSON.parse(check.stdout).problems).toContainEqual({ kind: 'insecure-permissions', message: expect.stringMatching(message) });
}

// Another local user ("nobody") attacks files the trust policy depends on (T5.13). These need root to hand files to nobody.
describe.runIf(asRoot)('a trust file another local user can swap (T5.13)', () => {
  it('control: a policy in root-owned folders, even under the sticky /tmp, is trusted', async () => {
    const policy = releasePolicyIn(safeFolder('control'));
    const path = join(world.dir, 'control.migseal');
    writeFileSync(path, world.bundle);
    const result = await runCli(['verify', path, '--trust', policy]);
    expect(result.code, result.stderr).toBe(0);
    expect((await runCli(['trust', 'check', policy])).code).toBe(0);
  });

  it('the policy reached through a symlink into a folder another user owns', async () => {
    const theirs = safeFolder('theirs');
    const policy = releasePolicyIn(theirs);
    chownSync(theirs, NOBODY, NOBODY);
    const link = join(safeFolder('etc-migseal'), 'trust.json');
    symlinkSync(policy, link);
    const message = /theirs is owned by user nobody \(uid 65534\), not by root or the user running migseal \(user root \(uid 0\)\).* \(reached through the symbolic link .*etc-migseal\/trust\.json\)/;
    await refusedApply(world.bundle, link, 'POLICY_INSECURE', message);
    await trustCheckReports(link, message);
  });

  it('the policy reached through a symlink that sits in a folder another user can write', async () => {
    const policy = releasePolicyIn(safeFolder('real'));
    const shared = safeFolder('shared');
    chmodSync(shared, 0o777);
    const link = join(shared, 'trust.json');
    symlinkSync(policy, link);
    await refusedApply(world.bundle, link, 'POLICY_INSECURE', /shared is writable by others \(mode 0777\)/);
    await trustCheckReports(link, /shared is writable by others/);
  });

  it('the policy reached through a symlink, in a sticky folder, that another user owns (they may re-point it)', async () => {
    const policy = releasePolicyIn(safeFolder('real-2'));
    const sticky = safeFolder('sticky');
    chmodSync(sticky, 0o1777);
    const link = join(sticky, 'trust.json');
    symlinkSync(policy, link);
    lchownSync(link, NOBODY, NOBODY);
    await refusedApply(world.bundle, link, 'POLICY_INSECURE', /sticky\/trust\.json is owned by user nobody/);
  });

  it('the policy\'s real folder is group-writable, behind a link to the folder', async () => {
    const real = safeFolder('group-real');
    const policy = releasePolicyIn(real);
    chmodSync(real, 0o775);
    const linked = join(safeFolder('links'), 'policy-dir');
    symlinkSync(real, linked);
    await refusedApply(world.bundle, join(linked, 'trust.json'), 'POLICY_INSECURE', /group-real is writable by its group \(mode 0775\).*reached through the symbolic link .*links\/policy-dir/);
    expect(policy).toContain('group-real');
  });

  it('a key file owned by another user, though nobody else may write it', async () => {
    const dir = safeFolder('their-key');
    const policy = releasePolicyIn(dir);
    chownSync(join(dir, 'release.pub'), NOBODY, NOBODY);
    chmodSync(join(dir, 'release.pub'), 0o444);
    await refusedApply(world.bundle, policy, 'POLICY_INSECURE', /release\.pub is owned by user nobody \(uid 65534\)/);
    await trustCheckReports(policy, /release\.pub is owned by user nobody/);
  });

  it('a key file left in a sticky world-writable folder (like /tmp) by another user', async () => {
    const tmp = safeFolder('tmp-like');
    chmodSync(tmp, 0o1777);
    copyFileSync(world.release.publicPath, join(tmp, 'release.pub'));
    chownSync(join(tmp, 'release.pub'), NOBODY, NOBODY);
    const dir = safeFolder('tmp-policy');
    const policy = join(dir, 'trust.json');
    writeFileSync(policy, JSON.stringify({ project: 'shop', keys: [{ id: 'release', publicKey: '../tmp-like/release.pub', roles: ['release'] }], environments: { default: { release: 1 } } }), { mode: 0o644 });
    await refusedApply(world.bundle, policy, 'POLICY_INSECURE', /tmp-like\/release\.pub is owned by user nobody/);
  });

  it('a key file that is a symlink to a key in a folder another user owns', async () => {
    const theirs = safeFolder('their-keys');
    copyFileSync(world.release.publicPath, join(theirs, 'release.pub'));
    chownSync(theirs, NOBODY, NOBODY);
    const dir = safeFolder('linked-key');
    const policy = releasePolicyIn(dir);
    rmSync(join(dir, 'release.pub'));
    symlinkSync(join(theirs, 'release.pub'), join(dir, 'release.pub'));
    await refusedApply(world.bundle, policy, 'POLICY_INSECURE', /their-keys is owned by user nobody.*reached through the symbolic link .*linked-key\/release\.pub/);
  });

  it('a CA certificate and a timestamp authority certificate owned by another user', async () => {
    const { createCa } = await import('../../src/ca/certificates.js');
    const ca = createCa({ name: 'corp', days: 30, bits: 2048 });
    for (const field of ['cas', 'timestampAuthorities'] as const) {
      const dir = safeFolder(`their-${field}`);
      const policy = releasePolicyIn(dir);
      writeFileSync(join(dir, 'ca.crt'), ca.certificatePem, { mode: 0o644 });
      chownSync(join(dir, 'ca.crt'), NOBODY, NOBODY);
      const doc = JSON.parse(readFileSync(policy, 'utf8'));
      if (field === 'cas') doc.cas = [{ id: 'corp', certificate: 'ca.crt' }];
      else doc.timestampAuthorities = [{ id: 'tsa', certificates: ['ca.crt'] }];
      writeFileSync(policy, JSON.stringify(doc));
      await refusedApply(world.bundle, policy, 'POLICY_INSECURE', /ca\.crt is owned by user nobody/);
      await trustCheckReports(policy, /ca\.crt is owned by user nobody/);
    }
  });

  it('a symbolic link loop instead of a policy', async () => {
    const dir = safeFolder('loop');
    symlinkSync(join(dir, 'b'), join(dir, 'a'));
    symlinkSync(join(dir, 'a'), join(dir, 'b'));
    await refusedApply(world.bundle, join(dir, 'a'), 'POLICY_INSECURE', /leads through more than 40 symbolic links/);
  });
});
