/**
 * Keys rotate through validity windows and are revoked or retired in the policy. A retired
 * key's signatures stay valid only when a trusted time places them inside its window.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFromJSON } from '@sigstore/bundle';
import { loadPublicKey } from '../../src/format/public-key.js';
import { signerWindowProblem } from '../../src/verify/signer-window.js';
import { verifySigstoreSignature } from '../../src/verify/sigstore-signature.js';
import { publicGoodTrustedRoot } from '../../src/trust/sigstore-root.js';
import { expectRefused, expectVerified, makeWorld, policyWith, type World } from '../helpers/verify-world.js';

let world: World;
beforeAll(async () => {
  world = await makeWorld();
});
afterAll(() => world?.cleanup());

const DAY = 24 * 60 * 60 * 1000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A policy for the release key with extra fields on its entry. */
function releaseKeyPolicy(fields: Record<string, unknown>): string {
  const path = policyWith(world, { keys: [{ key: world.release, roles: ['release'] }] });
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  Object.assign(doc.keys[0], fields);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

describe('T1.15-T1.16 key windows, revocation and retirement (migseal verify)', () => {
  it('a key inside its window verifies', async () => {
    await expectVerified(world, world.bundle, { policy: releaseKeyPolicy({ notBefore: iso(Date.now() - DAY), notAfter: iso(Date.now() + DAY) }) });
  });

  it('a revoked key is refused', async () => {
    await expectRefused(world, world.bundle, 'SIGNER_REVOKED', /key "release", which the trust policy revokes/, { policy: releaseKeyPolicy({ revoked: true }) });
  });

  it('an expired key is not counted', async () => {
    await expectRefused(world, world.bundle, 'SIGNER_OUTSIDE_VALIDITY', /outside its validity window/, { policy: releaseKeyPolicy({ notAfter: iso(Date.now() - DAY) }) });
  });

  it('a key not yet valid is not counted', async () => {
    await expectRefused(world, world.bundle, 'SIGNER_OUTSIDE_VALIDITY', /outside its validity window/, { policy: releaseKeyPolicy({ notBefore: iso(Date.now() + DAY) }) });
  });

  it('a retired key past its window is not counted without a trusted signing time', async () => {
    await expectRefused(world, world.bundle, 'SIGNER_OUTSIDE_VALIDITY', /is retired .* no trusted time/, { policy: releaseKeyPolicy({ notAfter: iso(Date.now() - DAY), retired: true }) });
  });

  it('revoked wins over retired', async () => {
    await expectRefused(world, world.bundle, 'SIGNER_REVOKED', /revokes/, { policy: releaseKeyPolicy({ notAfter: iso(Date.now() - DAY), retired: true, revoked: true }) });
  });

  it('retired needs a notAfter', async () => {
    await expectRefused(world, world.bundle, 'POLICY_INVALID', /retired needs a notAfter/, { policy: releaseKeyPolicy({ retired: true }) });
  });
});

describe('retired keys and trusted time (a real Rekor entry)', () => {
  // A keyed bundle logged in the public-good Rekor: its integrated time is a trusted time.
  const dir = join(import.meta.dirname, '../../../shared/fixtures/sigstore-public-good/conformance');
  const bundle = bundleFromJSON(JSON.parse(readFileSync(join(dir, 'managed-key-happy-path/bundle.sigstore.json'), 'utf8')));
  const publicKey = loadPublicKey(readFileSync(join(dir, 'managed-key-happy-path/key.pub'), 'utf8'), 'key.pub');
  const verified = verifySigstoreSignature(bundle, { bytes: readFileSync(join(dir, 'a.txt')) }, { kind: 'key', id: 'managed', publicKey, timestampAuthorities: publicGoodTrustedRoot().timestampAuthorities }, new Date());
  const signedAt = verified.trustedTimes[0]!;
  const now = new Date();

  it('the log entry gives a signing time in the past', () => {
    expect(signedAt.getTime()).toBeLessThan(now.getTime());
    expect(signedAt.getTime()).toBeGreaterThan(Date.parse('2023-01-01T00:00:00Z'));
  });

  it('a retired key whose window held the signing time is still accepted', () => {
    const window = { notBefore: new Date(signedAt.getTime() - DAY), notAfter: new Date(signedAt.getTime() + DAY) };
    expect(signerWindowProblem(window, true, now, verified.trustedTimes)).toBeUndefined();
  });

  it('the same key without "retired" is not', () => {
    const window = { notBefore: new Date(signedAt.getTime() - DAY), notAfter: new Date(signedAt.getTime() + DAY) };
    expect(signerWindowProblem(window, false, now, verified.trustedTimes)).toMatch(/outside its validity window/);
  });

  it('a retired key whose window ended before the signing time is not', () => {
    const window = { notAfter: new Date(signedAt.getTime() - 1000) };
    expect(signerWindowProblem(window, true, now, verified.trustedTimes)).toMatch(/signature was made at .* outside that window/);
  });

  it('a retired key whose window started after the signing time is not', () => {
    const window = { notBefore: new Date(signedAt.getTime() + 1000), notAfter: new Date(signedAt.getTime() + DAY) };
    expect(signerWindowProblem(window, true, now, verified.trustedTimes)).toMatch(/outside that window/);
  });
});
