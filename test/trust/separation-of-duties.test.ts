/**
 * Production needs a release signature and approvals from other people: approvals by the
 * same key twice count once, and an approver who also signed the release does not count
 * when the environment says approvers must differ. Observed through `migseal verify`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, issueLeaf, type PemPair } from '../../src/ca/certificates.js';
import { CertificateSigner } from '../../src/signing/certificate-signer.js';
import { loadPrivateKey } from '../../src/signing/keys.js';
import { makeKey, type TestKey } from '../helpers/fixtures.js';
import { decodeBundle, expectRefused, expectVerified, makeWorld, policyWith, sealBundle, type World } from '../helpers/verify-world.js';

let world: World;
let second: TestKey;
beforeAll(async () => {
  world = await makeWorld();
  second = makeKey(join(world.dir, 'keys'), 'second-approver');
});
afterAll(() => world?.cleanup());

const PRODUCTION = { release: 1, approve: 1, approversDistinctFromRelease: true };

async function sealedBy(signers: Array<{ signer: TestKey['signer'] | CertificateSigner; role: 'release' | 'approve' }>): Promise<Buffer> {
  const contents = await decodeBundle(world.bundle);
  return sealBundle(contents.manifestBytes, contents.files, signers);
}

describe('T1.18-T1.19 approvals', () => {
  it('a missing approval is named: "needs 1 more approval from role approve"', async () => {
    await expectRefused(world, world.bundle, 'THRESHOLD_NOT_MET', /needs 1 more approval from role approve/, { env: 'production' });
  });

  it('a release signer and a different approver meet production', async () => {
    const policy = policyWith(world, { keys: [{ key: world.release, roles: ['release', 'approve'] }, { key: world.approver, roles: ['approve'] }], environments: { default: { release: 1 }, production: PRODUCTION } });
    const bundle = await sealedBy([{ signer: world.release.signer, role: 'release' }, { signer: world.approver.signer, role: 'approve' }]);
    const report = await expectVerified(world, bundle, { policy, env: 'production' });
    const signers = report.signers as Array<{ id: string }>;
    expect([...signers].sort((a, b) => a.id.localeCompare(b.id))).toEqual([{ id: 'approver', role: 'approve', keyId: world.approver.keyId }, { id: 'release', role: 'release', keyId: world.release.keyId }]);
  });

  it('an approver who is also the releaser does not count when approvers must differ', async () => {
    const policy = policyWith(world, { keys: [{ key: world.release, roles: ['release', 'approve'] }, { key: world.approver, roles: ['approve'] }], environments: { default: { release: 1 }, production: PRODUCTION } });
    const bundle = await sealedBy([{ signer: world.release.signer, role: 'release' }, { signer: world.release.signer, role: 'approve' }]);
    await expectRefused(world, bundle, 'THRESHOLD_NOT_MET', /needs 1 more approval from role approve .*release approved its own release/, { policy, env: 'production' });
    // Without the rule the same bundle passes: the rule, not something else, refused it.
    const lax = policyWith(world, { keys: [{ key: world.release, roles: ['release', 'approve'] }], environments: { default: { release: 1 }, production: { release: 1, approve: 1 } } });
    await expectVerified(world, bundle, { policy: lax, env: 'production' });
  });

  it('two approvals by the same key count once', async () => {
    const policy = policyWith(world, { keys: [{ key: world.release, roles: ['release'] }, { key: world.approver, roles: ['approve'] }, { key: second, roles: ['approve'] }], environments: { default: { release: 1 }, production: { ...PRODUCTION, approve: 2 } } });
    const twice = await sealedBy([{ signer: world.release.signer, role: 'release' }, { signer: world.approver.signer, role: 'approve' }, { signer: world.approver.signer, role: 'approve' }]);
    await expectRefused(world, twice, 'THRESHOLD_NOT_MET', /needs 1 more approval from role approve/, { policy, env: 'production' });
    const two = await sealedBy([{ signer: world.release.signer, role: 'release' }, { signer: world.approver.signer, role: 'approve' }, { signer: second.signer, role: 'approve' }]);
    await expectVerified(world, two, { policy, env: 'production' });
  });
});

describe('approvals by certificate identities', () => {
  let ca: PemPair;
  let ci: CertificateSigner;
  let alice: CertificateSigner;
  let policy: string;
  const signer = (pair: PemPair) => new CertificateSigner(loadPrivateKey(pair.privateKeyPem, 'leaf.key'), pair.certificatePem);

  beforeAll(() => {
    ca = createCa({ name: 'corp', days: 10, bits: 2048 });
    ci = signer(issueLeaf(ca, { identity: 'https://ci.example.com/shop/release@refs/heads/main', issuer: 'https://ci.example.com', days: 1, bits: 2048 }));
    alice = signer(issueLeaf(ca, { identity: 'alice@example.com', issuer: 'https://login.example.com', days: 1, bits: 2048 }));
    const dir = join(world.dir, 'identity-policy');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, 'ca.crt'), ca.certificatePem);
    const common = { ca: 'corp', validityAt: 'verification-time' };
    const doc = {
      project: 'shop',
      keys: [],
      cas: [{ id: 'corp', certificate: 'ca.crt' }],
      identities: [
        { id: 'release-ci', identity: 'https://ci.example.com/shop/release@refs/heads/main', issuer: 'https://ci.example.com', roles: ['release', 'approve'], ...common },
        { id: 'alice', identity: 'alice@example.com', issuer: 'https://login.example.com', roles: ['approve'], ...common },
      ],
      environments: { default: { release: 1 }, production: PRODUCTION },
    };
    writeFileSync(join(dir, 'trust.json'), JSON.stringify(doc));
    policy = join(dir, 'trust.json');
  }, 60_000);

  it('the CI identity releases and a person approves', async () => {
    const bundle = await sealedBy([{ signer: ci, role: 'release' }, { signer: alice, role: 'approve' }]);
    const report = await expectVerified(world, bundle, { policy, env: 'production' });
    const signers = (report.signers as Array<{ id: string; identity: { identity: string } }>).sort((a, b) => a.id.localeCompare(b.id));
    expect(signers.map((s) => [s.id, s.identity.identity])).toEqual([['alice', 'alice@example.com'], ['release-ci', 'https://ci.example.com/shop/release@refs/heads/main']]);
  });

  it('the CI identity approving its own release does not count', async () => {
    const bundle = await sealedBy([{ signer: ci, role: 'release' }, { signer: ci, role: 'approve' }]);
    await expectRefused(world, bundle, 'THRESHOLD_NOT_MET', /needs 1 more approval from role approve .*release-ci approved its own release/, { policy, env: 'production' });
  });

  it('an approval alone, with no release signature, is refused', async () => {
    const bundle = await sealedBy([{ signer: alice, role: 'approve' }]);
    await expectRefused(world, bundle, 'THRESHOLD_NOT_MET', /needs 1 more release signature from role release/, { policy, env: 'production' });
  });
});
