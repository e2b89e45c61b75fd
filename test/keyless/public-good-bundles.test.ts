/**
 * The keyless verification layer against real bundles signed on the public Sigstore
 * instance, checked offline against the trusted root that ships with @sigstore/tuf.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleFromJSON } from '@sigstore/bundle';
import { verifySigstoreSignature, type ArtifactRef, type ExpectedIdentity, type SignerAuthority } from '../../src/verify/sigstore-signature.js';
import { loadTrustedRootFile, publicGoodTrustedRoot } from '../../src/trust/sigstore-root.js';
import { compileIdentityPattern } from '../../src/trust/identities.js';
import { loadPublicKey } from '../../src/format/public-key.js';
import { refusal } from '../helpers/refusal.js';

const FIXTURES = join(import.meta.dirname, '../../../shared/fixtures/sigstore-public-good');
const CONFORMANCE = join(FIXTURES, 'conformance');
const NOW = new Date();

const BEACON: ExpectedIdentity = {
  identity: 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
  issuer: 'https://token.actions.githubusercontent.com',
};
const BRIAN: ExpectedIdentity = { identity: 'brian@dehamer.com', issuer: 'https://github.com/login/oauth' };
// The npm package digest named by statement.json, which the sigstore-js bundles attest.
const NPM_SUBJECT: ArtifactRef = {
  digest: { algorithm: 'sha512', hex: '7bea9f6e7ff37f5fab0b36bf061200fff03099fd2fd696b91d04bc5e4f225eb9fd6e0cadcad54ba980f43fb352a99e8810b4e0abeb5c0ef2cf9108cd1f258b36' },
};

const readBundle = (path: string) => bundleFromJSON(JSON.parse(readFileSync(path, 'utf8')));
const publicGood = (): SignerAuthority => ({ kind: 'sigstore', id: 'sigstore-public-good', trustedRoot: publicGoodTrustedRoot() });

function conformanceCase(name: string): { bundlePath: string; artifact: ArtifactRef; authority: SignerAuthority } {
  const dir = join(CONFORMANCE, name);
  const artifactPath = existsSync(join(dir, 'artifact')) ? join(dir, 'artifact') : join(CONFORMANCE, 'a.txt');
  const authority: SignerAuthority = existsSync(join(dir, 'key.pub'))
    ? // The bundle also carries a public-good TSA timestamp: name that authority, as a policy would.
      { kind: 'key', id: 'managed', publicKey: loadPublicKey(readFileSync(join(dir, 'key.pub'), 'utf8'), 'key.pub'), timestampAuthorities: publicGoodTrustedRoot().timestampAuthorities }
    : existsSync(join(dir, 'trusted_root.json'))
      ? { kind: 'sigstore', id: name, trustedRoot: loadTrustedRootFile(join(dir, 'trusted_root.json')) }
      : publicGood();
  return { bundlePath: join(dir, 'bundle.sigstore.json'), artifact: { bytes: readFileSync(artifactPath) }, authority };
}

const HAPPY = ['happy-path-v0.1', 'happy-path-v0.2', 'happy-path-v0.3', 'happy-path-v0.3-new-mediaType', 'happy-path-intoto-in-dsse-v3', 'rekor2-happy-path', 'rekor2-timestamp-with-embedded-cert'];
const FAILING = ['intoto-expired-certificate_fail', 'message-digest-mismatch_fail', 'signature-mismatch_fail', 'wrong-hashedrekord-artifact_fail', 'managed-key-wrong-key_fail'];

describe('public-good conformance bundles', () => {
  it('finds every case in the fixture folder', () => {
    const names = [...HAPPY, ...FAILING, 'managed-key-happy-path'].sort();
    const onDisk = readFileSync(join(CONFORMANCE, '..', 'README.md'), 'utf8');
    expect(onDisk).toContain('conformance');
    for (const name of names) expect(existsSync(join(CONFORMANCE, name, 'bundle.sigstore.json'))).toBe(true);
  });

  it.each(HAPPY)('%s verifies with its exact identity and issuer', (name) => {
    const c = conformanceCase(name);
    const signer = verifySigstoreSignature(readBundle(c.bundlePath), c.artifact, c.authority, NOW, BEACON);
    expect(signer.identity).toBe(BEACON.identity);
    expect(signer.issuer).toBe(BEACON.issuer);
    expect(signer.trustedTimes.length).toBeGreaterThan(0);
  });

  it('managed-key-happy-path verifies with its key, and the log gives a trusted time', () => {
    const c = conformanceCase('managed-key-happy-path');
    const signer = verifySigstoreSignature(readBundle(c.bundlePath), c.artifact, c.authority, NOW);
    expect(signer.identity).toBeUndefined();
    expect(signer.trustedTimes.length).toBeGreaterThan(0);
  });

  it.each(FAILING)('%s is refused', (name) => {
    const error = refusal(() => {
      const c = conformanceCase(name);
      verifySigstoreSignature(readBundle(c.bundlePath), c.artifact, c.authority, NOW, BEACON);
    });
    // The wrong managed key is not even a valid key: it is refused when the policy is read.
    expect(name === 'managed-key-wrong-key_fail' ? ['KEY_INVALID'] : ['SIGNATURE_INVALID', 'SIGNER_UNKNOWN']).toContain(error.code);
  });

  it('refuses an identity extended by a suffix, a prefix, or a path segment', () => {
    const c = conformanceCase('happy-path-v0.3');
    const bundle = readBundle(c.bundlePath);
    for (const identity of [`${BEACON.identity}-evil`, `https://evil.example/${BEACON.identity}`, BEACON.identity!.replace('@refs/heads/main', ''), BEACON.identity!.replace('oidc-beacon/', 'oidc-beacon-evil/')]) {
      expect(refusal(() => verifySigstoreSignature(bundle, c.artifact, c.authority, NOW, { ...BEACON, identity })).code).toBe('SIGNER_IDENTITY_MISMATCH');
    }
  });

  // A Rekor v2 entry carries an inclusion proof and no integrated time, so a copy of it is not caught as a
  // repeated timestamp: @sigstore/verify 4 refuses repeated log entries before counting them.
  it.each(['rekor2-happy-path', 'happy-path-v0.3'])('%s with its transparency-log entry repeated is refused', (name) => {
    const c = conformanceCase(name);
    const json = JSON.parse(readFileSync(c.bundlePath, 'utf8'));
    const entries = json.verificationMaterial.tlogEntries;
    json.verificationMaterial.tlogEntries = [...entries, ...entries];
    const error = refusal(() => verifySigstoreSignature(bundleFromJSON(json), c.artifact, c.authority, NOW, BEACON));
    expect(error.code).toBe('SIGNATURE_INVALID');
    expect(error.message).toMatch(/duplicate/);
  });

  it('refuses a wrong issuer, even one that extends the right one', () => {
    const c = conformanceCase('happy-path-v0.3');
    const bundle = readBundle(c.bundlePath);
    for (const issuer of ['https://gitlab.com', `${BEACON.issuer}.evil.example`, 'https://token.actions.githubusercontent']) {
      expect(refusal(() => verifySigstoreSignature(bundle, c.artifact, c.authority, NOW, { ...BEACON, issuer })).code).toBe('SIGNER_IDENTITY_MISMATCH');
    }
  });

  it('accepts an anchored pattern only when it matches the whole identity', () => {
    const c = conformanceCase('happy-path-v0.3');
    const bundle = readBundle(c.bundlePath);
    const whole = compileIdentityPattern('https://github\\.com/sigstore-conformance/[^/]+/\\.github/workflows/[^@]+@refs/heads/main');
    expect(verifySigstoreSignature(bundle, c.artifact, c.authority, NOW, { issuer: BEACON.issuer, identityPattern: whole }).identity).toBe(BEACON.identity);
    const prefixOnly = compileIdentityPattern('https://github\\.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon');
    expect(refusal(() => verifySigstoreSignature(bundle, c.artifact, c.authority, NOW, { issuer: BEACON.issuer, identityPattern: prefixOnly })).code).toBe('SIGNER_IDENTITY_MISMATCH');
  });

  it('refuses a keyed bundle whose timestamp comes from an authority that is not named', () => {
    const c = conformanceCase('managed-key-happy-path');
    const unnamed: SignerAuthority = { ...(c.authority as Extract<SignerAuthority, { kind: 'key' }>), timestampAuthorities: [] };
    expect(refusal(() => verifySigstoreSignature(readBundle(c.bundlePath), c.artifact, unnamed, NOW)).message).toMatch(/timestamp that does not verify/);
  });

  it('refuses a certificate bundle checked against a plain key, and a keyed bundle checked as keyless', () => {
    const keyed = conformanceCase('managed-key-happy-path');
    expect(refusal(() => verifySigstoreSignature(readBundle(keyed.bundlePath), keyed.artifact, publicGood(), NOW, BEACON)).code).toBe('SIGNER_UNKNOWN');
  });

  it('refuses a tampered copy: one byte of the artifact, the signature, or the logged body', () => {
    const c = conformanceCase('happy-path-v0.3');
    const tamperedArtifact = Buffer.from((c.artifact as { bytes: Buffer }).bytes);
    tamperedArtifact[0]! ^= 1;
    expect(refusal(() => verifySigstoreSignature(readBundle(c.bundlePath), { bytes: tamperedArtifact }, c.authority, NOW, BEACON)).code).toBe('SIGNATURE_INVALID');

    const json = JSON.parse(readFileSync(c.bundlePath, 'utf8'));
    const sig = Buffer.from(json.messageSignature.signature, 'base64');
    sig[sig.length - 1]! ^= 1;
    json.messageSignature.signature = sig.toString('base64');
    expect(refusal(() => verifySigstoreSignature(bundleFromJSON(json), c.artifact, c.authority, NOW, BEACON)).code).toBe('SIGNATURE_INVALID');
  });
});

describe('sigstore-js bundles (DSSE, v0.1 to v0.3)', () => {
  const files = ['bundleV01-dsse-no-proof', 'bundleV01-dsse-with-proof', 'bundleV01-intoto-no-proof', 'bundleV01-intoto-with-proof', 'bundleV02-dsse', 'bundleV02-intoto', 'bundleV03-dsse', 'bundleV03-intoto'];

  it.each(files)('%s verifies for the statement subject and its signer', (name) => {
    const signer = verifySigstoreSignature(readBundle(join(FIXTURES, `${name}.sigstore`)), NPM_SUBJECT, publicGood(), NOW, BRIAN);
    expect(signer.identity).toBe(BRIAN.identity);
    expect(JSON.parse(signer.payload!.toString('utf8'))).toEqual(JSON.parse(readFileSync(join(FIXTURES, 'statement.json'), 'utf8')));
  });

  it('refuses bundleV01-full-cert-chain: its chain carries the root, which only the trusted root may supply', () => {
    const error = refusal(() => verifySigstoreSignature(readBundle(join(FIXTURES, 'bundleV01-full-cert-chain.sigstore')), NPM_SUBJECT, publicGood(), NOW, BRIAN));
    expect(error.code).toBe('SIGNATURE_MALFORMED');
    expect(error.message).toMatch(/self-signed root certificate \(certificate 3\)/);
  });

  it('refuses a DSSE bundle for another artifact digest (the DSSE path ignores the artifact otherwise)', () => {
    const other: ArtifactRef = { digest: { algorithm: 'sha512', hex: 'ab'.repeat(64) } };
    expect(refusal(() => verifySigstoreSignature(readBundle(join(FIXTURES, 'bundleV03-intoto.sigstore')), other, publicGood(), NOW, BRIAN)).code).toBe('SIGNATURE_SUBJECT_MISMATCH');
  });

  it('refuses a DSSE payload changed by one byte', () => {
    const json = JSON.parse(readFileSync(join(FIXTURES, 'bundleV03-intoto.sigstore'), 'utf8'));
    const payload = Buffer.from(json.dsseEnvelope.payload, 'base64');
    payload[payload.length - 3]! ^= 1;
    json.dsseEnvelope.payload = payload.toString('base64');
    expect(refusal(() => verifySigstoreSignature(bundleFromJSON(json), NPM_SUBJECT, publicGood(), NOW, BRIAN)).code).toBe('SIGNATURE_INVALID');
  });

  it('refuses the right email from another issuer', () => {
    expect(refusal(() => verifySigstoreSignature(readBundle(join(FIXTURES, 'bundleV03-intoto.sigstore')), NPM_SUBJECT, publicGood(), NOW, { ...BRIAN, issuer: 'https://accounts.google.com' })).code).toBe('SIGNER_IDENTITY_MISMATCH');
  });
});
