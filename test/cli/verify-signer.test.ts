/**
 * `verify --key` and `verify --certificate-identity/--certificate-oidc-issuer`: exactly one named
 * signer, without a policy file (as cosign does), and `trust init`, which writes the policy a
 * host then uses. Real keys, real bundles, the real CLI.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { createCa, issueLeaf, type PemPair } from '../../src/ca/certificates.js';
import { jsonOf } from '../helpers/cli.js';
import { makeKey, writeMigrations, type TestKey } from '../helpers/fixtures.js';
import { makeReleaseWorld, type ReleaseWorld } from '../helpers/release-world.js';
import { makeTsa, serveTsa, type TestTsa } from '../helpers/timestamp-authority.js';

let world: ReleaseWorld;
let bundle: string;
let other: TestKey;
let alice: TestKey;

beforeAll(async () => {
  world = await makeReleaseWorld();
  bundle = await world.bundle({ '1_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n' }, { dialect: 'sqlite' });
  other = makeKey(join(world.dir, 'keys'), 'other');
  alice = makeKey(join(world.dir, 'keys'), 'alice');
});
afterAll(() => world.cleanup());

describe('verify --key', () => {
  it('verifies a bundle whose release signature is that key', async () => {
    const result = await world.migseal(['verify', bundle, '--key', world.key.publicPath, '--json']);
    expect(result.code).toBe(0);
    const doc = jsonOf(result) as { ok: boolean; signers: { keyId: string; role: string }[] };
    expect(doc.signers).toEqual([expect.objectContaining({ keyId: world.key.keyId, role: 'release' })]);
  });

  it('refuses one signed by any other key (exit 2, SIGNER_UNKNOWN or THRESHOLD_NOT_MET)', async () => {
    const result = await world.migseal(['verify', bundle, '--key', other.publicPath, '--json']);
    expect(result.code).toBe(2);
    expect(['SIGNER_UNKNOWN', 'THRESHOLD_NOT_MET']).toContain(jsonOf(result).code);
  });

  it('refuses a certificate identity for a bundle signed with a key', async () => {
    const result = await world.migseal(['verify', bundle, '--certificate-identity', 'https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main', '--certificate-oidc-issuer', 'https://token.actions.githubusercontent.com', '--json']);
    expect(result.code).toBe(2);
  });

  it('refuses a private key, a missing key, and mixed or half-given signer flags, each in one line', async () => {
    const privateKey = await world.migseal(['verify', bundle, '--key', world.key.privatePath]);
    expect(privateKey.code).not.toBe(0);
    expect(privateKey.stderr).toMatch(/^migseal: \w+: .*not a public key.*\n$/);
    const missing = await world.migseal(['verify', bundle, '--key', join(world.dir, 'nope.pub')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('The signer named on the command line cannot be used: cannot read');
    const both = await world.migseal(['verify', bundle, '--key', world.key.publicPath, '--trust', world.policy]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('not both');
    const half = await world.migseal(['verify', bundle, '--certificate-identity', 'https://x.example']);
    expect(half.code).toBe(1);
    expect(half.stderr).toContain('go together');
  });

  it('a bundle with a changed byte is refused with --key as with --trust', async () => {
    const bytes = readFileSync(bundle);
    const tampered = join(world.dir, 'tampered.migseal');
    const copy = Buffer.from(bytes);
    copy[copy.length - 30]! ^= 0xff;
    writeFileSync(tampered, copy);
    const result = await world.migseal(['verify', tampered, '--key', world.key.publicPath]);
    expect(result.code).not.toBe(0);
  });
});

describe('verify --certificate-identity --certificate-oidc-issuer --trusted-root', () => {
  // A private Sigstore instance without logs: the organisation's CA and its timestamp authority, in one trusted_root.json.
  const IDENTITY = 'https://ci.example.com/shop/release@refs/heads/main';
  const ISSUER = 'https://ci.example.com';
  const DAY = 24 * 60 * 60 * 1000;
  let ca: PemPair;
  let tsa: TestTsa;
  let signed: string;
  let unstamped: string;
  const roots: Record<string, string> = {};

  const der = (pem: string) => ({ rawBytes: new X509Certificate(pem).raw.toString('base64') });
  function writeRoot(name: string, withTsa: boolean): string {
    const start = new Date(Date.now() - 10 * DAY).toISOString();
    const root = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [],
      ctlogs: [],
      certificateAuthorities: [{ subject: { organization: 'example', commonName: 'corp' }, uri: 'https://ca.example.com', certChain: { certificates: [der(ca.certificatePem)] }, validFor: { start } }],
      timestampAuthorities: withTsa ? [{ subject: { organization: 'example', commonName: 'corp-tsa' }, uri: 'https://tsa.example.com', certChain: { certificates: tsa.chainPem.map(der) }, validFor: { start } }] : [],
    };
    const path = join(world.dir, 'keys', `${name}.json`);
    writeFileSync(path, JSON.stringify(root), { mode: 0o644 });
    return path;
  }

  beforeAll(async () => {
    ca = createCa({ name: 'corp', days: 30, bits: 2048, now: new Date(Date.now() - 10 * DAY) });
    tsa = makeTsa({ notBefore: new Date(Date.now() - 10 * DAY) });
    const leaf = issueLeaf(ca, { identity: IDENTITY, issuer: ISSUER, days: 5, bits: 2048 });
    const ci = join(world.dir, 'ci');
    mkdirSync(ci, { mode: 0o700 });
    writeFileSync(join(ci, 'leaf.key'), leaf.privateKeyPem, { mode: 0o600 });
    writeFileSync(join(ci, 'leaf.crt'), leaf.certificatePem);
    const folder = writeMigrations(join(world.dir, 'cert-src'), { '1_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n' });
    const server = await serveTsa(tsa);
    try {
      signed = join(world.dir, 'cert.migseal');
      const packed = await world.migseal(['pack', folder, '--project', 'shop', '--release', '1', '--key', join(ci, 'leaf.key'), '--cert', join(ci, 'leaf.crt'), '--timestamp-url', server.url, '--out', signed]);
      expect(packed.code, packed.stderr).toBe(0);
    } finally {
      await server.close();
    }
    unstamped = join(world.dir, 'cert-unstamped.migseal');
    const plain = await world.migseal(['pack', folder, '--project', 'shop', '--release', '1', '--key', join(ci, 'leaf.key'), '--cert', join(ci, 'leaf.crt'), '--out', unstamped]);
    expect(plain.code, plain.stderr).toBe(0);
    roots.full = writeRoot('trusted-root', true);
    roots.noTsa = writeRoot('trusted-root-no-tsa', false);
  }, 120_000);

  const verify = (bundlePath: string, identity: string, issuer: string, root = roots.full!) =>
    world.migseal(['verify', bundlePath, '--certificate-identity', identity, '--certificate-oidc-issuer', issuer, '--trusted-root', root]);

  it('verifies a bundle signed by a certificate of the root\'s CA, stamped by its TSA, and names the signer', async () => {
    const result = await verify(signed, IDENTITY, ISSUER);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(IDENTITY);
    expect(result.stdout).toContain(ISSUER);
  });

  it('refuses another identity (a suffix, a prefix) and another issuer: exit 2, SIGNER_UNKNOWN, naming what the certificate says', async () => {
    for (const [identity, issuer] of [
      [`${IDENTITY}-evil`, ISSUER],
      ['https://ci.example.com/shop/release', ISSUER],
      [IDENTITY, 'https://ci.example.com.evil'],
      [IDENTITY, 'https://token.actions.githubusercontent.com'],
    ] as const) {
      const result = await verify(signed, identity, issuer);
      expect(result.code, `${identity} ${issuer}`).toBe(2);
      expect(result.stderr).toMatch(/^migseal: refused: .*\n$/);
      expect(result.stderr).toContain(`The certificate names identity "${IDENTITY}" from issuer "${ISSUER}", not "${identity}" from "${issuer}"`);
      expect(jsonOf(await world.migseal(['verify', signed, '--certificate-identity', identity, '--certificate-oidc-issuer', issuer, '--trusted-root', roots.full!, '--json'])).code).toBe('SIGNER_UNKNOWN');
    }
  });

  it('without a timestamp the certificate cannot be placed in time; a root with neither a log nor a TSA is refused', async () => {
    const bare = await world.migseal(['verify', unstamped, '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER, '--trusted-root', roots.full!, '--json']);
    expect(bare.code).toBe(2);
    expect(jsonOf(bare).code).toBe('TRUSTED_TIME_MISSING');
    const noTsa = await world.migseal(['verify', signed, '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER, '--trusted-root', roots.noTsa!, '--json']);
    expect(noTsa.code).toBe(2);
    expect(jsonOf(noTsa)).toMatchObject({ code: 'POLICY_INVALID', message: expect.stringMatching(/names neither a transparency log nor a timestamp authority/) });
  });
});

describe('trust init', () => {
  it('writes a 0644 policy with the release key, approvers and the environment, which trust check and verify accept', async () => {
    const out = join(world.dir, 'keys', 'init.json');
    const result = await world.migseal(['trust', 'init', '--project', 'shop', '--key', world.key.publicPath, '--approver', alice.publicPath, '--env', 'production', '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o644);
    const policy = JSON.parse(readFileSync(out, 'utf8'));
    expect(policy.environments).toEqual({ production: { release: 1, approve: 1, approversDistinctFromRelease: true } });
    expect(policy.keys.map((k: { publicKey: string }) => k.publicKey)).toEqual(['release.pub', 'alice.pub']);
    expect((await world.migseal(['trust', 'check', out])).code).toBe(0);
    // Without the approval the production rule refuses; with it, it verifies.
    expect((await world.migseal(['verify', bundle, '--trust', out, '--env', 'production'])).code).toBe(2);
    expect((await world.migseal(['sign', bundle, '--key', alice.privatePath, '--role', 'approve'])).code).toBe(0);
    expect((await world.migseal(['verify', bundle, '--trust', out, '--env', 'production'])).code).toBe(0);
  });

  it('never overwrites a policy, and refuses a private key or no release signer without writing anything', async () => {
    const out = join(world.dir, 'keys', 'existing.json');
    writeFileSync(out, '{"mine": true}\n', { mode: 0o644 });
    const again = await world.migseal(['trust', 'init', '--project', 'shop', '--key', world.key.publicPath, '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('never overwrites');
    expect(readFileSync(out, 'utf8')).toBe('{"mine": true}\n');
    const fresh = join(world.dir, 'keys', 'fresh.json');
    expect((await world.migseal(['trust', 'init', '--project', 'shop', '--key', world.key.privatePath, '--out', fresh])).code).not.toBe(0);
    expect((await world.migseal(['trust', 'init', '--project', 'shop', '--out', fresh])).code).toBe(1);
    expect(existsSync(fresh)).toBe(false);
  });

  it('refuses a folder others can write to, before writing', async () => {
    const open = join(world.dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const out = join(open, 'trust.json');
    const result = await world.migseal(['trust', 'init', '--project', 'shop', '--key', world.key.publicPath, '--out', out]);
    expect(result.code).toBe(2);
    expect(jsonOf(await world.migseal(['trust', 'init', '--project', 'shop', '--key', world.key.publicPath, '--out', out, '--json'])).code).toBe('POLICY_INSECURE');
    expect(existsSync(out)).toBe(false);
  });

  it('writes a keyless release identity on the public-good instance', async () => {
    const out = join(world.dir, 'keys', 'keyless.json');
    const identity = 'https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main';
    const result = await world.migseal(['trust', 'init', '--project', 'shop', '--identity', identity, '--issuer', 'https://token.actions.githubusercontent.com', '--out', out]);
    expect(result.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).identities).toEqual([{ id: 'release-ci', ca: 'sigstore-public-good', identity, issuer: 'https://token.actions.githubusercontent.com', roles: ['release'] }]);
    expect((await world.migseal(['trust', 'check', out])).code).toBe(0);
  });
});
