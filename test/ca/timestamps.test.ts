/**
 * Trusted signing times from an RFC 3161 timestamp authority the policy names: a real TSA
 * (ECDSA key, certificate from its own root) answering on loopback, reached by
 * `migseal pack --timestamp-url`. Certificates and retired keys are judged at the
 * stamped time; a timestamp from an authority the policy does not name is refused.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, issueLeaf, type PemPair } from '../../src/ca/certificates.js';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { encodeBundle } from '../../src/format/bundle-encode.js';
import { runCli } from '../helpers/cli.js';
import { makeTsa, serveTsa, type TestTsa } from '../helpers/timestamp-authority.js';
import { expectRefused, expectVerified, makeWorld, type World } from '../helpers/verify-world.js';

const IDENTITY = 'https://ci.example.com/shop/release@refs/heads/main';
const ISSUER = 'https://ci.example.com';
const DAY = 86_400_000;

let world: World;
let ca: PemPair;
let tsa: TestTsa;
let otherTsa: TestTsa;
let stampAt = () => new Date();
let server: Awaited<ReturnType<typeof serveTsa>>;
let count = 0;

beforeAll(async () => {
  world = await makeWorld();
  ca = createCa({ name: 'corp', days: 30, bits: 2048, now: new Date(Date.now() - 10 * DAY) });
  tsa = makeTsa({ notBefore: new Date(Date.now() - 10 * DAY) });
  otherTsa = makeTsa({ notBefore: new Date(Date.now() - 10 * DAY) });
  server = await serveTsa(tsa, () => stampAt());
}, 120_000);
afterAll(async () => {
  await server?.close();
  world?.cleanup();
});

function writeFiles(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: name.endsWith('.key') ? 0o600 : 0o644 });
}

/** A policy trusting `corp` and (unless told otherwise) the loopback TSA. */
function policy(doc: Record<string, unknown>, withTsa: TestTsa | null = tsa): string {
  const dir = join(world.dir, `ts-policy-${++count}`);
  writeFiles(dir, { 'ca.crt': ca.certificatePem, 'release.pub': readFileSync(world.release.publicPath, 'utf8'), ...(withTsa && { 'tsa.crt': withTsa.chainPem[0]!, 'tsa-root.crt': withTsa.chainPem[1]! }) });
  const full = {
    project: 'shop',
    keys: [],
    cas: [{ id: 'corp', certificate: 'ca.crt' }],
    ...(withTsa && { timestampAuthorities: [{ id: 'corp-tsa', certificates: ['tsa.crt', 'tsa-root.crt'] }] }),
    environments: { default: { release: 1 } },
    ...doc,
  };
  writeFileSync(join(dir, 'trust.json'), JSON.stringify(full));
  return join(dir, 'trust.json');
}

const identity = (over: Record<string, unknown> = {}) => ({ identities: [{ id: 'release-ci', ca: 'corp', identity: IDENTITY, issuer: ISSUER, roles: ['release'], ...over }] });

/** Packs with the CLI, signing with `leaf` (or the world's release key) and a timestamp from the loopback TSA at `at`. */
async function packStamped(leaf: PemPair | undefined, at: Date): Promise<Buffer> {
  const dir = join(world.dir, `signer-${++count}`);
  const signing = leaf ? ['--key', join(dir, 'leaf.key'), '--cert', join(dir, 'leaf.crt')] : ['--key', world.release.privatePath];
  if (leaf) writeFiles(dir, { 'leaf.key': leaf.privateKeyPem, 'leaf.crt': leaf.certificatePem });
  else mkdirSync(dir, { mode: 0o700 });
  stampAt = () => at;
  const before = server.requests;
  const out = join(dir, 'bundle.migseal');
  const result = await runCli(['pack', world.migrations, '--project', 'shop', '--release', '42', '--out', out, ...signing, '--timestamp-url', server.url]);
  expect(result.code, result.stderr).toBe(0);
  // One timestamp for the release signature, one for the build provenance signed beside it.
  expect(server.requests).toBe(before + 2);
  return readFileSync(out);
}

describe('T1.21 certificates at the stamped time', () => {
  let current: PemPair;
  let expired: PemPair;
  beforeAll(() => {
    current = issueLeaf(ca, { identity: IDENTITY, issuer: ISSUER, days: 5, bits: 2048 });
    expired = issueLeaf(ca, { identity: IDENTITY, issuer: ISSUER, days: 1, bits: 2048, notBefore: new Date(Date.now() - 3 * DAY) });
  }, 60_000);

  it('a certificate signature with a timestamp from the named TSA verifies without any opt-in', async () => {
    const bundle = await packStamped(current, new Date());
    const report = await expectVerified(world, bundle, { policy: policy(identity()) });
    expect(report.signers).toEqual([{ id: 'release-ci', role: 'release', identity: { identity: IDENTITY, issuer: ISSUER, authority: 'corp' } }]);
  });

  it('the audit report names the certificate identity, its issuer and the stamped signing time', async () => {
    const at = new Date();
    const bundle = await packStamped(current, at);
    const path = join(world.dir, `audit-${++count}.migseal`);
    writeFileSync(path, bundle);
    const result = await runCli(['audit', path, '--trust', policy(identity()), '--json']);
    expect(result.code, result.stdout).toBe(0);
    const facts = JSON.parse(result.stdout);
    expect(facts.signatures.signers).toEqual([
      expect.objectContaining({ policyId: 'release-ci', role: 'release', identity: { identity: IDENTITY, issuer: ISSUER, authority: 'corp' }, signedAt: expect.any(String) }),
    ]);
    // The stamped time, as the timestamp authority wrote it (to the second).
    expect(Math.abs(Date.parse(facts.signatures.signers[0].signedAt) - at.getTime())).toBeLessThan(1000);
  });

  it('a certificate that has expired since still verifies: it was valid when stamped', async () => {
    const bundle = await packStamped(expired, new Date(Date.now() - 2.5 * DAY));
    await expectVerified(world, bundle, { policy: policy(identity()) });
    // The trade-off: checked at verification time, the same bundle no longer verifies.
    await expectRefused(world, bundle, 'SIGNER_OUTSIDE_VALIDITY', /is not valid at/, { policy: policy(identity({ validityAt: 'verification-time' })) });
  });

  it('a timestamp outside the certificate window is refused', async () => {
    const bundle = await packStamped(expired, new Date());
    await expectRefused(world, bundle, 'SIGNER_OUTSIDE_VALIDITY', /is not valid at/, { policy: policy(identity()) });
  });

  it('a timestamp from an authority the policy does not name is refused', async () => {
    const bundle = await packStamped(current, new Date());
    await expectRefused(world, bundle, 'SIGNATURE_INVALID', /timestamp that does not verify/, { policy: policy(identity(), otherTsa) });
    await expectRefused(world, bundle, 'SIGNATURE_INVALID', /timestamp that does not verify/, { policy: policy(identity(), null) });
  });

  it('a timestamp altered by one byte is refused', async () => {
    const bundle = await packStamped(current, new Date());
    const contents = await decodeBundle(bundle);
    const [, bytes] = [...contents.signatures][0]!;
    const doc = JSON.parse(bytes.toString('utf8'));
    const stamp = Buffer.from(doc.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp, 'base64');
    stamp[stamp.length - 5]! ^= 1;
    doc.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp = stamp.toString('base64');
    const tampered = encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [Buffer.from(JSON.stringify(doc))] });
    await expectRefused(world, tampered, 'SIGNATURE_INVALID', /does not verify/, { policy: policy(identity()) });
  });
});

describe('retired keys at the stamped time', () => {
  const retiredKey = (notAfter: Date) => ({ keys: [{ id: 'release', publicKey: 'release.pub', roles: ['release'], notAfter: notAfter.toISOString().replace(/\.\d+Z$/, 'Z'), retired: true }] });

  it('a retired key whose signature was stamped inside its window still counts', async () => {
    const bundle = await packStamped(undefined, new Date(Date.now() - 2 * DAY));
    const report = await expectVerified(world, bundle, { policy: policy(retiredKey(new Date(Date.now() - DAY))) });
    expect(report.signers).toEqual([{ id: 'release', role: 'release', keyId: world.release.keyId }]);
  });

  it('a retired key whose signature was stamped after its window does not', async () => {
    const bundle = await packStamped(undefined, new Date(Date.now() - DAY / 2));
    await expectRefused(world, bundle, 'SIGNER_OUTSIDE_VALIDITY', /is retired .* signature was made at .* outside that window/, { policy: policy(retiredKey(new Date(Date.now() - DAY))) });
  });

  it('the same stamped signature by a key that is expired but not retired does not count', async () => {
    const bundle = await packStamped(undefined, new Date(Date.now() - 2 * DAY));
    const doc = retiredKey(new Date(Date.now() - DAY));
    delete (doc.keys[0] as Record<string, unknown>).retired;
    await expectRefused(world, bundle, 'SIGNER_OUTSIDE_VALIDITY', /outside its validity window/, { policy: policy(doc) });
  });
});
