/**
 * `verify --key` and `verify --certificate-identity/--certificate-oidc-issuer`: exactly one named
 * signer, without a policy file (as cosign does), and `trust init`, which writes the policy a
 * host then uses. Real keys, real bundles, the real CLI.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOf } from '../helpers/cli.js';
import { makeKey, type TestKey } from '../helpers/fixtures.js';
import { makeReleaseWorld, type ReleaseWorld } from '../helpers/release-world.js';

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
