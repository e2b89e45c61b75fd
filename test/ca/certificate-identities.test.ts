/**
 * Certificate identities issued by the organisation's own CA, end to end: certificates
 * made by `migseal ca init` / `ca issue`, bundles signed with `pack --key --cert`, and every
 * refusal observed through `migseal verify` (exit 2, code, message, nothing changed).
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { X509Certificate as NodeX509 } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from '@sigstore/core';
import { createCa, issueLeaf, OID_FULCIO_ISSUER_V1, OID_FULCIO_ISSUER_V2, type PemPair } from '../../src/ca/certificates.js';
import { CertificateSigner } from '../../src/signing/certificate-signer.js';
import { loadPrivateKey } from '../../src/signing/keys.js';
import { runCli } from '../helpers/cli.js';
import { packBundle } from '../helpers/fixtures.js';
import { expectRefused, expectVerified, makeWorld, policyWith, type World } from '../helpers/verify-world.js';

const IDENTITY = 'https://ci.example.com/shop/release@refs/heads/main';
const ISSUER = 'https://ci.example.com';
const DAY = 24 * 60 * 60 * 1000;

let world: World;
let caDir: string;
let ca: PemPair;
let leaf: PemPair;
let bundle: Buffer;
let policyCount = 0;

beforeAll(async () => {
  world = await makeWorld();
  caDir = join(world.dir, 'keys', 'ca');
  const init = await runCli(['ca', 'init', '--out', caDir]);
  expect(init.code, init.stderr).toBe(0);
  const issue = await runCli(['ca', 'issue', '--ca', caDir, '--identity', IDENTITY, '--issuer', ISSUER, '--days', '30', '--out', join(world.dir, 'ci', 'release')]);
  expect(issue.code, issue.stderr).toBe(0);
  ca = { certificatePem: readFileSync(join(caDir, 'ca.crt'), 'utf8'), privateKeyPem: readFileSync(join(caDir, 'ca.key'), 'utf8') };
  leaf = { certificatePem: readFileSync(join(world.dir, 'ci', 'release.crt'), 'utf8'), privateKeyPem: readFileSync(join(world.dir, 'ci', 'release.key'), 'utf8') };
  const packed = await runCli(['pack', world.migrations, '--project', 'shop', '--release', '42', '--out', join(world.dir, 'cert.migseal'), '--key', join(world.dir, 'ci', 'release.key'), '--cert', join(world.dir, 'ci', 'release.crt')]);
  expect(packed.code, packed.stderr).toBe(0);
  bundle = readFileSync(join(world.dir, 'cert.migseal'));
}, 120_000);
afterAll(() => world?.cleanup());

/** A policy naming the CA made above (and optionally more CAs) and the given identities. */
function certPolicy(identities: Array<Record<string, unknown>>, extra: { cas?: Array<{ id: string; pem: string }>; environments?: Record<string, unknown> } = {}): string {
  const dir = join(world.dir, `cert-policy-${++policyCount}`);
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, 'ca.crt'), ca.certificatePem);
  const cas = [{ id: 'corp', certificate: 'ca.crt' }];
  for (const c of extra.cas ?? []) {
    writeFileSync(join(dir, `${c.id}.crt`), c.pem);
    cas.push({ id: c.id, certificate: `${c.id}.crt` });
  }
  const doc = { project: 'shop', keys: [], cas, identities, environments: extra.environments ?? { default: { release: 1 } } };
  writeFileSync(join(dir, 'trust.json'), JSON.stringify(doc, null, 2));
  return join(dir, 'trust.json');
}

const releaseCi = (over: Record<string, unknown> = {}) => ({ id: 'release-ci', ca: 'corp', identity: IDENTITY, issuer: ISSUER, roles: ['release'], validityAt: 'verification-time', ...over });

async function signedWith(pair: PemPair): Promise<Buffer> {
  const signer = new CertificateSigner(loadPrivateKey(pair.privateKeyPem, 'leaf.key'), pair.certificatePem);
  return packBundle({ dir: world.migrations, signers: [{ signer, role: 'release' }] });
}

describe('ca init and ca issue', () => {
  it('write a CA certificate and a private key only the owner can read', () => {
    expect(statSync(join(caDir, 'ca.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(world.dir, 'ci', 'release.key')).mode & 0o777).toBe(0o600);
    expect(new NodeX509(ca.certificatePem).ca).toBe(true);
  });

  it('issue a code-signing leaf with the identity as SAN and the Fulcio issuer extensions', () => {
    const node = new NodeX509(leaf.certificatePem);
    expect(node.ca).toBe(false);
    expect(node.subjectAltName).toBe(`URI:${IDENTITY}`);
    expect(node.keyUsage).toContain('1.3.6.1.5.5.7.3.3');
    expect(node.checkIssued(new NodeX509(ca.certificatePem))).toBe(true);
    const der = X509Certificate.parse(node.raw);
    expect(der.extension(OID_FULCIO_ISSUER_V1)?.value.toString('utf8')).toBe(ISSUER);
    expect(der.extension(OID_FULCIO_ISSUER_V2)?.valueObj.subs[0]?.value.toString('utf8')).toBe(ISSUER);
    expect(der.extension(OID_FULCIO_ISSUER_V2)?.valueObj.subs[0]?.tag.number).toBe(12); // UTF8String
  });

  it('issue an email identity as an rfc822Name', () => {
    const mail = issueLeaf(ca, { identity: 'alice@example.com', issuer: 'https://accounts.example.com', days: 1, bits: 2048 });
    expect(new NodeX509(mail.certificatePem).subjectAltName).toBe('email:alice@example.com');
  });

  it('refuse a certificate that would outlive its CA', () => {
    const shortCa = createCa({ name: 'short', days: 2, bits: 2048 });
    expect(() => issueLeaf(shortCa, { identity: IDENTITY, issuer: ISSUER, days: 30, bits: 2048 })).toThrow(/would outlive its CA/);
  });

  it('encrypt the CA key with MIGSEAL_CA_PASSPHRASE, and need it to issue', async () => {
    const dir = join(world.dir, 'encrypted-ca');
    const secret = 'correct horse battery staple';
    const init = await runCli(['ca', 'init', '--out', dir, '--days', '30'], { env: { MIGSEAL_CA_PASSPHRASE: secret } });
    expect(init.code, init.stderr).toBe(0);
    expect(readFileSync(join(dir, 'ca.key'), 'utf8')).toMatch(/BEGIN ENCRYPTED PRIVATE KEY/);
    const args = ['ca', 'issue', '--ca', dir, '--identity', IDENTITY, '--issuer', ISSUER, '--days', '1', '--out', join(dir, 'leaf')];
    const without = await runCli(args);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/CA key is encrypted; set MIGSEAL_CA_PASSPHRASE/);
    const wrong = await runCli(args, { env: { MIGSEAL_CA_PASSPHRASE: 'wrong' } });
    expect(wrong.stderr).toMatch(/could not be decrypted/);
    expect(wrong.stderr + wrong.stdout).not.toContain('wrong');
    const right = await runCli(args, { env: { MIGSEAL_CA_PASSPHRASE: secret } });
    expect(right.code, right.stderr).toBe(0);
    expect(right.stdout + right.stderr).not.toContain(secret);
    expect(new NodeX509(readFileSync(join(dir, 'leaf.crt'))).checkIssued(new NodeX509(readFileSync(join(dir, 'ca.crt'))))).toBe(true);
  }, 120_000);

  it('refuse an identity that is neither a URI nor an email address', async () => {
    const result = await runCli(['ca', 'issue', '--ca', caDir, '--identity', 'release bot', '--issuer', ISSUER, '--out', join(world.dir, 'ci', 'bad')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--identity must be a URI/);
  });
});

describe('T1.20 verifying a certificate signature', () => {
  it('accepts the exact identity and issuer when the policy allows checking validity now', async () => {
    const report = await expectVerified(world, bundle, { policy: certPolicy([releaseCi()]) });
    expect(report.signers).toEqual([{ id: 'release-ci', role: 'release', identity: { identity: IDENTITY, issuer: ISSUER, authority: 'corp' } }]);
  });

  it('refuses without a trusted time unless the policy opts into verification time (no TypeError)', async () => {
    await expectRefused(world, bundle, 'TRUSTED_TIME_MISSING', /trusted time .*\("validityAt": "verification-time"\)/, { policy: certPolicy([releaseCi({ validityAt: undefined })]) });
  });

  it('refuses a policy identity extended by a suffix (repo-evil) or missing the ref', async () => {
    for (const identity of ['https://ci.example.com/shop/release-evil@refs/heads/main', 'https://ci.example.com/shop/release', `${IDENTITY}x`]) {
      await expectRefused(world, bundle, 'SIGNER_UNKNOWN', /identity the trust policy does not name .*release@refs\/heads\/main/, { policy: certPolicy([releaseCi({ identity })]) });
    }
  });

  it('refuses a certificate whose identity only extends the policy identity', async () => {
    const evil = issueLeaf(ca, { identity: `${IDENTITY}-evil`, issuer: ISSUER, days: 1, bits: 2048 });
    await expectRefused(world, await signedWith(evil), 'SIGNER_UNKNOWN', /does not name/, { policy: certPolicy([releaseCi()]) });
  });

  it('refuses the right identity from the wrong issuer', async () => {
    await expectRefused(world, bundle, 'SIGNER_UNKNOWN', /from issuer "https:\/\/ci\.example\.com"/, { policy: certPolicy([releaseCi({ issuer: 'https://ci.example.com/' })]) });
    const other = issueLeaf(ca, { identity: IDENTITY, issuer: 'https://ci.example.com.evil.example', days: 1, bits: 2048 });
    await expectRefused(world, await signedWith(other), 'SIGNER_UNKNOWN', /does not name/, { policy: certPolicy([releaseCi()]) });
  });

  it('accepts an anchored identity pattern only when it matches the whole identity', async () => {
    const pattern = 'https://ci\\.example\\.com/shop/[a-z]+@refs/heads/main';
    await expectVerified(world, bundle, { policy: certPolicy([releaseCi({ identity: undefined, identityPattern: pattern })]) });
    const prefix = 'https://ci\\.example\\.com/shop/release';
    await expectRefused(world, bundle, 'SIGNER_UNKNOWN', /does not name/, { policy: certPolicy([releaseCi({ identity: undefined, identityPattern: prefix })]) });
  });

  it('refuses a certificate from a CA the policy does not name, even one with the same name', async () => {
    const impostor = createCa({ name: 'migseal signing CA', days: 10, bits: 2048 });
    const forged = issueLeaf(impostor, { identity: IDENTITY, issuer: ISSUER, days: 1, bits: 2048 });
    await expectRefused(world, await signedWith(forged), 'SIGNER_UNKNOWN', /no certificate authority in the policy issued it/, { policy: certPolicy([releaseCi()]) });
  });

  it('checks against the CA the identity names, not any CA in the policy', async () => {
    const other = createCa({ name: 'other CA', days: 10, bits: 2048 });
    const policy = certPolicy([releaseCi({ ca: 'other' })], { cas: [{ id: 'other', pem: other.certificatePem }] });
    await expectRefused(world, bundle, 'SIGNER_UNKNOWN', /does not name/, { policy });
  });

  it('refuses an expired and a not-yet-valid certificate', async () => {
    const expired = issueLeaf(ca, { identity: IDENTITY, issuer: ISSUER, days: 1, bits: 2048, notBefore: new Date(Date.now() - 3 * DAY) });
    await expectRefused(world, await signedWith(expired), 'SIGNER_OUTSIDE_VALIDITY', /is not valid at/, { policy: certPolicy([releaseCi()]) });
    const future = issueLeaf(ca, { identity: IDENTITY, issuer: ISSUER, days: 1, bits: 2048, notBefore: new Date(Date.now() + 2 * DAY) });
    await expectRefused(world, await signedWith(future), 'SIGNER_OUTSIDE_VALIDITY', /is not valid at/, { policy: certPolicy([releaseCi()]) });
  });

  it('refuses a revoked identity, and an identity outside its policy window', async () => {
    await expectRefused(world, bundle, 'SIGNER_REVOKED', /identity "release-ci", which the trust policy revokes/, { policy: certPolicy([releaseCi({ revoked: true })]) });
    await expectRefused(world, bundle, 'SIGNER_OUTSIDE_VALIDITY', /outside its validity window/, { policy: certPolicy([releaseCi({ notAfter: '2020-01-01T00:00:00Z' })]) });
  });

  it('refuses an identity signing in a role the policy does not give it', async () => {
    await expectRefused(world, bundle, 'SIGNER_ROLE_NOT_ALLOWED', /signed as release/, { policy: certPolicy([releaseCi({ roles: ['approve'] })]) });
  });

  it('refuses a certificate swapped into the signature (same identity, other key)', async () => {
    const other = issueLeaf(ca, { identity: IDENTITY, issuer: ISSUER, days: 1, bits: 2048 });
    const { decodeBundle } = await import('../../src/format/bundle-archive.js');
    const { encodeBundle } = await import('../../src/format/bundle-encode.js');
    const contents = await decodeBundle(bundle);
    const [, bytes] = [...contents.signatures][0]!;
    const doc = JSON.parse(bytes.toString('utf8'));
    const b64 = other.certificatePem.replace(/-----[A-Z ]+-----|\s/g, '');
    doc.verificationMaterial.certificate.rawBytes = b64;
    const swapped = encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [Buffer.from(JSON.stringify(doc))] });
    await expectRefused(world, swapped, 'SIGNATURE_INVALID', /does not verify/, { policy: certPolicy([releaseCi()]) });
  });

  it('refuses an unknown field and a malformed pattern in the policy', async () => {
    await expectRefused(world, bundle, 'POLICY_INVALID', /identityRegex is not a known field/, { policy: certPolicy([releaseCi({ identityRegex: '.*' })]) });
    await expectRefused(world, bundle, 'POLICY_INVALID', /exactly one of identity/, { policy: certPolicy([releaseCi({ identityPattern: '.*' })]) });
  });
});

describe('build provenance signed with a certificate', () => {
  it('pack --key --cert signs the provenance as the certificate identity, and verify names it', async () => {
    const policy = certPolicy([releaseCi()], { environments: { default: { release: 1, provenance: { builderId: 'local' } } } });
    const report = await expectVerified(world, bundle, { policy });
    expect(report.provenance).toMatchObject({ builderId: 'local', signer: 'release-ci', identity: { identity: IDENTITY, issuer: ISSUER, authority: 'corp' } });
    const other = certPolicy([releaseCi()], { environments: { default: { release: 1, provenance: { builderId: 'https://ci.example.com/shop/release' } } } });
    await expectRefused(world, bundle, 'PROVENANCE_REQUIRED', /requires a verified build provenance from builder "https:\/\/ci\.example\.com\/shop\/release", but the verified provenance names builder "local"/, { policy: other });
  });

  it('builderIsSigner: the builder must be the certificate identity that signed the provenance, never a key', async () => {
    const asBuilder = join(world.dir, 'cert-as-builder.migseal');
    const packed = await runCli(['pack', world.migrations, '--project', 'shop', '--release', '42', '--builder', IDENTITY, '--out', asBuilder, '--key', join(world.dir, 'ci', 'release.key'), '--cert', join(world.dir, 'ci', 'release.crt')]);
    expect(packed.code, packed.stderr).toBe(0);
    const strict = { release: 1, provenance: { builderId: IDENTITY, builderIsSigner: true } };
    const policy = certPolicy([releaseCi()], { environments: { default: strict } });
    const report = await expectVerified(world, readFileSync(asBuilder), { policy });
    expect(report.provenance).toMatchObject({ builderId: IDENTITY, identity: { identity: IDENTITY } });

    // The certificate's identity is not the builder the provenance names.
    const lax = certPolicy([releaseCi()], { environments: { default: { release: 1, provenance: { builderIsSigner: true } } } });
    await expectRefused(world, bundle, 'PROVENANCE_REQUIRED', /signed by the certificate identity it names as builder, but the provenance naming builder "local" is signed by certificate identity "https:\/\/ci\.example\.com\/shop\/release@refs\/heads\/main"\./, { policy: lax });

    // A key may claim any builder id: with builderIsSigner its word is not enough.
    const keyed = await packBundle({ dir: world.migrations, source: { builder: IDENTITY }, signers: [{ signer: world.release.signer, role: 'release' }] });
    const keyPolicy = policyWith(world, { keys: [{ key: world.release, roles: ['release'] }], environments: { default: strict } });
    await expectRefused(world, keyed, 'PROVENANCE_REQUIRED', /but the provenance naming builder "https:\/\/ci\.example\.com\/shop\/release@refs\/heads\/main" is signed by key "release", which vouches for no identity\./, { policy: keyPolicy });
  });

  it('builderIsSigner must be a boolean', async () => {
    const policy = certPolicy([releaseCi()], { environments: { default: { release: 1, provenance: { builderIsSigner: 'yes' } } } });
    await expectRefused(world, bundle, 'POLICY_INVALID', /builderIsSigner must be true or false/, { policy });
  });
});
