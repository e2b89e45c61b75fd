/**
 * Threats T5.13 and T5.14 (docs/threats.md): the host's own configuration, attacked the way a local user
 * or a careless operator would. Each attack goes through the CLI with real keys, real files
 * and a real SQLite database, which must be left byte for byte as it was.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeySigner } from '../../src/signing/key-signer.js';
import type { Signer } from '../../src/signing/signer.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { decodeBundle, makeWorld, sealBundle, type World } from '../verify/world.js';

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
