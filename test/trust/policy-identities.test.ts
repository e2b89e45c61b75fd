/**
 * The certificate side of the policy format: CAs, Sigstore trusted roots, identities,
 * timestamp authorities, and the mistakes the loader must refuse.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrustPolicy } from '../../src/trust/policy.js';
import { removeDir, tempDir } from '../helpers/fixtures.js';
import { refusal } from '../helpers/refusal.js';

const CONFORMANCE = join(import.meta.dirname, '../../../shared/fixtures/sigstore-public-good/conformance');
const BEACON = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
let dir: string;
let count = 0;
beforeAll(() => {
  dir = tempDir('migseal-policy-');
});
afterAll(() => removeDir(dir));

function write(doc: Record<string, unknown>): string {
  const sub = join(dir, `p${++count}`);
  mkdirSync(sub, { mode: 0o700 });
  copyFileSync(join(CONFORMANCE, 'rekor2-happy-path', 'trusted_root.json'), join(sub, 'staging-root.json'));
  writeFileSync(join(sub, 'trust.json'), JSON.stringify({ project: 'shop', keys: [], environments: { default: { release: 1 } }, ...doc }));
  return join(sub, 'trust.json');
}

const problem = (path: string) => refusal(() => loadTrustPolicy(path), 'POLICY_INVALID').message;

const identity = (over: Record<string, unknown> = {}) => ({ id: 'gha', ca: 'sigstore-public-good', identity: BEACON, issuer: 'https://token.actions.githubusercontent.com', roles: ['release'], ...over });

describe('certificate identities in the policy', () => {
  it('the built-in public-good authority needs no cas entry', () => {
    const policy = loadTrustPolicy(write({ identities: [identity()] }));
    expect(policy.identities[0]).toMatchObject({ id: 'gha', identity: BEACON, validityAt: 'trusted-time', authority: { kind: 'sigstore', id: 'sigstore-public-good' } });
    expect(policy.identities[0]!.authority.kind === 'sigstore' && policy.identities[0]!.authority.trustedRoot.tlogs.length).toBeGreaterThan(0);
  });

  it('a private Sigstore instance is named by its trusted_root.json', () => {
    const policy = loadTrustPolicy(write({ cas: [{ id: 'staging', trustedRoot: 'staging-root.json' }], identities: [identity({ ca: 'staging' })] }));
    expect(policy.identities[0]!.authority).toMatchObject({ kind: 'sigstore', id: 'staging' });
  });

  it('an identity pattern is compiled anchored', () => {
    const policy = loadTrustPolicy(write({ identities: [identity({ identity: undefined, identityPattern: 'https://github\\.com/example/.+' })] }));
    const pattern = policy.identities[0]!.identityPattern!;
    expect(pattern.source.replaceAll('\\/', '/')).toBe('^(?:https://github\\.com/example/.+)$');
    expect(pattern.test('https://github.com/example/shop')).toBe(true);
    expect(pattern.test('x https://github.com/example/shop')).toBe(false);
  });

  it.each([
    ['redefining the built-in authority', { cas: [{ id: 'sigstore-public-good', trustedRoot: 'staging-root.json' }] }, /repeats "sigstore-public-good" \(a built-in authority\)/],
    ['an identity naming an unknown CA', { identities: [identity({ ca: 'corp' })] }, /ca must name an entry of \$\.cas/],
    ['both identity and pattern', { identities: [identity({ identityPattern: '.*' })] }, /exactly one of identity/],
    ['no issuer', { identities: [identity({ issuer: undefined })] }, /issuer must be the exact OIDC issuer/],
    ['verification-time for a Sigstore authority', { identities: [identity({ validityAt: 'verification-time' })] }, /always checks certificates at the transparency log's time/],
    ['an invalid pattern', { identities: [identity({ identity: undefined, identityPattern: '(' })] }, /not a valid regular expression/],
    ['a CA with neither certificate nor trusted root', { cas: [{ id: 'corp' }] }, /either a certificate \(PEM\) or a trustedRoot/],
    ['an unreadable trusted root', { cas: [{ id: 'corp', trustedRoot: 'missing.json' }] }, /cannot be read as strict JSON/],
    ['an identity id that repeats a key id', { identities: [identity(), identity()] }, /identity id "gha" repeats/],
    ['a timestamp authority without certificates', { timestampAuthorities: [{ id: 'tsa', certificates: [] }] }, /certificates must list PEM files/],
    ['an unknown environment rule', { environments: { default: { release: 1, approversMustDiffer: true } } }, /approversMustDiffer is not a known field/],
  ])('refuses %s', (_name, doc, message) => {
    expect(problem(write(doc))).toMatch(message);
  });
});
