/**
 * Keys and signatures with real crypto: every supported key type signs a bundle that
 * verifies; key ids are stable; unsupported and wrongly unlocked keys are refused with
 * messages that never carry the passphrase; the statement binds role, project and release.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { sha256Hex } from '../../src/format/digest.js';
import { KeySigner } from '../../src/signing/key-signer.js';
import { generateKeyPair, loadPrivateKey, KEY_TYPES } from '../../src/signing/keys.js';
import { keyIdOf, loadPublicKey } from '../../src/format/public-key.js';
import { signManifest } from '../../src/signing/sign-manifest.js';
import { buildStatement, PAYLOAD_TYPE, statementProblems } from '../../src/format/statement.js';
import { addSignature } from '../../src/signing/add-signature.js';
import { verifyBundle } from '../../src/verify/index.js';
import { loadTrustPolicy } from '../../src/trust/policy.js';
import { makeKey, packBundle, removeDir, SHOP_MIGRATIONS, tempDir, writeMigrations, writePolicy } from '../helpers/fixtures.js';
import { refusal } from '../helpers/refusal.js';

let dir: string;
let migrations: string;
beforeAll(() => {
  dir = tempDir('migseal-signing-');
  migrations = writeMigrations(join(dir, 'm'), SHOP_MIGRATIONS);
});
afterAll(() => dir && removeDir(dir));

const codeOf = (fn: () => unknown) => refusal(fn);

describe('key types', () => {
  for (const type of KEY_TYPES) {
    it(`${type}: packs a bundle that verifies, and a tampered copy does not`, async () => {
      const keyDir = join(dir, type);
      writeMigrations(keyDir, {});
      const key = makeKey(keyDir, 'release', type);
      const policy = loadTrustPolicy(writePolicy(keyDir, { keys: [{ key, roles: ['release'] }] }));
      const bundle = await packBundle({ dir: migrations, signers: [{ signer: key.signer, role: 'release' }] });
      const verified = await verifyBundle(bundle, { policy });
      expect(verified.signers).toEqual([expect.objectContaining({ signer: 'release', role: 'release', keyId: key.keyId })]);

      const contents = await decodeBundle(bundle);
      const doc = JSON.parse([...contents.signatures.values()][0]!.toString('utf8'));
      const sig = Buffer.from(doc.dsseEnvelope.signatures[0].sig, 'base64');
      sig[sig.length - 5]! ^= 0x40;
      doc.dsseEnvelope.signatures[0].sig = sig.toString('base64');
      const { encodeBundle } = await import('../../src/format/bundle-encode.js');
      const tampered = encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [Buffer.from(JSON.stringify(doc))] });
      await expect(verifyBundle(tampered, { policy })).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    });
  }
});

describe('keys', () => {
  it('the key id is the SHA-256 of the SPKI DER, the same from the private and the public key', () => {
    const pair = generateKeyPair('ed25519');
    const pub = loadPublicKey(pair.publicKeyPem, 'x.pub');
    expect(keyIdOf(pub)).toBe(pair.keyId);
    expect(new KeySigner(loadPrivateKey(pair.privateKeyPem, 'x.key')).keyId).toBe(pair.keyId);
    expect(pair.keyId).toBe(sha256Hex(pub.export({ type: 'spki', format: 'der' })));
  });

  it('refuses an unsupported curve', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(codeOf(() => loadPrivateKey(pem, 'p384.key'))).toMatchObject({ code: 'KEY_INVALID', message: expect.stringMatching(/unsupported type/) });
    expect(codeOf(() => loadPublicKey(publicKey.export({ type: 'spki', format: 'pem' }) as string, 'p384.pub')).code).toBe('KEY_INVALID');
  });

  it('refuses what is not a PEM key', () => {
    expect(codeOf(() => loadPrivateKey('hello', 'x.key'))).toMatchObject({ code: 'KEY_INVALID', message: 'The file x.key is not a PEM private key.' });
    expect(codeOf(() => loadPublicKey('hello', 'x.pub'))).toMatchObject({ code: 'KEY_INVALID', message: 'The file x.pub is not a public key: it is neither a PEM block, nor an SPKI public key in DER or base64.' });
  });

  it('an encrypted key: missing or wrong passphrase is a clear error without the passphrase', () => {
    const secret = 'hunter2-but-longer-9c1e';
    const pair = generateKeyPair('ed25519', secret);
    expect(pair.privateKeyPem).toContain('ENCRYPTED PRIVATE KEY');
    expect(codeOf(() => loadPrivateKey(pair.privateKeyPem, 'enc.key')).message).toMatch(/encrypted; set MIGSEAL_KEY_PASSPHRASE/);
    const wrong = codeOf(() => loadPrivateKey(pair.privateKeyPem, 'enc.key', `${secret}x`));
    expect(wrong.message).toMatch(/could not be decrypted/);
    expect(wrong.message).not.toContain(secret);
    expect(new KeySigner(loadPrivateKey(pair.privateKeyPem, 'enc.key', secret)).keyId).toBe(pair.keyId);
  });
});

describe('statements and signatures', () => {
  it('the statement names the manifest digest and binds role, project and release', () => {
    const s = buildStatement('a'.repeat(64), { role: 'approve', project: 'shop', release: '42' });
    expect(statementProblems(s)).toEqual([]);
    expect(statementProblems({ ...s, subject: [...s.subject, ...s.subject] })).toContain('$.subject must hold exactly one subject');
    expect(statementProblems({ ...s, predicate: { ...s.predicate, role: 'admin' } })[0]).toMatch(/predicate\.role/);
    expect(statementProblems({ ...s, subject: [{ name: 'manifest.json', digest: { sha256: 'A'.repeat(64) } }] })).toContain('$.subject[0].digest.sha256 must be 64 lowercase hex digits');
  });

  it('an Ed25519 signature over the same manifest is deterministic; the DSSE payload is the statement', async () => {
    const key = makeKey(dir, 'det');
    const digest = sha256Hex('manifest bytes');
    const a = await signManifest(digest, { role: 'release', project: 'shop', release: '1' }, key.signer);
    const b = await signManifest(digest, { role: 'release', project: 'shop', release: '1' }, key.signer);
    expect(a.equals(b)).toBe(true);
    const doc = JSON.parse(a.toString('utf8'));
    expect(doc.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(doc.dsseEnvelope.payloadType).toBe(PAYLOAD_TYPE);
    const statement = JSON.parse(Buffer.from(doc.dsseEnvelope.payload, 'base64').toString('utf8'));
    expect(statement.subject[0].digest.sha256).toBe(digest);
    expect(statement.predicate).toEqual({ role: 'release', project: 'shop', release: '1' });
  });

  it('addSignature keeps the manifest bytes (the release id) and adds one entry', async () => {
    const release = makeKey(dir, 'rel2');
    const approver = makeKey(dir, 'app2');
    const bundle = await packBundle({ dir: migrations, signers: [{ signer: release.signer, role: 'release' }] });
    const before = await decodeBundle(bundle);
    const result = await addSignature(bundle, approver.signer, 'approve');
    const after = await decodeBundle(result.bundle);
    expect(result.digest).toBe(sha256Hex(before.manifestBytes));
    expect(after.manifestBytes.equals(before.manifestBytes)).toBe(true);
    expect(after.signatures.size).toBe(2);
    const again = await addSignature(result.bundle, approver.signer, 'approve');
    expect(again.bundle.equals(result.bundle)).toBe(true);
  });

  it('a key file the policy names that is not a key makes the policy invalid', () => {
    const policyDir = join(dir, 'bad-policy');
    writeMigrations(policyDir, {});
    writeFileSync(join(policyDir, 'broken.pub'), 'not a key');
    writeFileSync(join(policyDir, 'trust.json'), JSON.stringify({ project: 'shop', keys: [{ id: 'b', publicKey: 'broken.pub', roles: ['release'] }], environments: { default: { release: 1 } } }));
    expect(codeOf(() => loadTrustPolicy(join(policyDir, 'trust.json')))).toMatchObject({ code: 'POLICY_INVALID', message: expect.stringMatching(/broken\.pub is not a public key/) });
  });
});
