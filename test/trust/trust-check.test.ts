/**
 * `migseal trust check` lints a policy: exit 0 when sound, exit 2 with every problem.
 * And `verify` refuses a policy file or folder writable by group or others.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOf, runCli } from '../helpers/cli.js';
import { expectRefused, makeWorld, policyWith, type World } from '../helpers/verify-world.js';

let world: World;
beforeAll(async () => {
  world = await makeWorld();
});
afterAll(() => world?.cleanup());

function edited(path: string, edit: (doc: Record<string, any>) => void): string {
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  edit(doc);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

const sound = () => policyWith(world, { keys: [{ key: world.release, roles: ['release'] }, { key: world.approver, roles: ['approve'] }] });

async function problemsOf(path: string): Promise<Array<{ kind: string; message: string }>> {
  const result = await runCli(['trust', 'check', path, '--json']);
  expect(result.code, result.stderr).toBe(2);
  return jsonOf(result).problems as Array<{ kind: string; message: string }>;
}

describe('migseal trust check', () => {
  it('passes a sound policy (exit 0)', async () => {
    const result = await runCli(['trust', 'check', sound()]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/no problems found/);
  });

  it('reports a world-writable policy file, and verify refuses to use it', async () => {
    const path = sound();
    chmodSync(path, 0o666);
    expect(await problemsOf(path)).toContainEqual({ kind: 'insecure-permissions', message: expect.stringMatching(/trust\.json is writable by others/) });
    await expectRefused(world, world.bundle, 'POLICY_INSECURE', /writable by others/, { policy: path });
  });

  it('reports a group-writable policy folder and key file', async () => {
    const path = sound();
    chmodSync(dirname(path), 0o770);
    chmodSync(join(dirname(path), 'release.pub'), 0o664);
    const problems = await problemsOf(path);
    expect(problems.filter((p) => p.kind === 'insecure-permissions').map((p) => p.message)).toEqual([expect.stringMatching(/writable by its group/), expect.stringMatching(/release\.pub is writable by its group/)]);
    chmodSync(dirname(path), 0o700);
  });

  it('reports an unreadable key', async () => {
    const path = sound();
    rmSync(join(dirname(path), 'approver.pub'));
    const problems = await problemsOf(path);
    expect(problems).toContainEqual({ kind: 'unreadable', message: expect.stringMatching(/key "approver": cannot read .*approver\.pub \(ENOENT\)/) });
  });

  it('reports duplicate ids', async () => {
    const path = edited(sound(), (doc) => (doc.keys[1].id = 'release'));
    expect(await problemsOf(path)).toContainEqual({ kind: 'duplicate-id', message: 'the id "release" is used more than once among keys and identities' });
  });

  it('reports thresholds no set of usable signers can meet', async () => {
    const path = edited(sound(), (doc) => {
      doc.environments.production.approve = 2;
      doc.keys.push({ id: 'old-approver', publicKey: 'release.pub', roles: ['approve'], revoked: true });
    });
    const problems = await problemsOf(path);
    expect(problems).toContainEqual({ kind: 'threshold-unreachable', message: 'environment "production" needs 2 approve signers, but only 1 usable key(s) or identit(ies) hold that role' });
  });

  it('reports approvers that must differ from a release signer who is the only signer', async () => {
    const only = policyWith(world, { keys: [{ key: world.release, roles: ['release', 'approve'] }], environments: { default: { release: 1 }, production: { release: 1, approve: 1, approversDistinctFromRelease: true } } });
    expect(await problemsOf(only)).toEqual([{ kind: 'threshold-unreachable', message: expect.stringMatching(/"production" needs 1 release signer\(s\) and 1 different approver\(s\), but only 1 distinct/) }]);
  });

  it('reports a provenance that must be signed by its builder when only keys hold the release role', async () => {
    const keysOnly = policyWith(world, { keys: [{ key: world.release, roles: ['release'] }], environments: { default: { release: 1 }, production: { release: 1, provenance: { builderIsSigner: true } } } });
    expect(await problemsOf(keysOnly)).toEqual([{ kind: 'threshold-unreachable', message: 'environment "production" requires a provenance signed by its builder\'s certificate identity, but no usable identity holds the release role' }]);
  });

  it('reports an expired key as not usable for new releases', async () => {
    const path = edited(sound(), (doc) => (doc.keys[0].notAfter = '2020-01-01T00:00:00Z'));
    expect(await problemsOf(path)).toContainEqual({ kind: 'threshold-unreachable', message: expect.stringMatching(/"default" needs 1 release signers, but only 0/) });
  });

  it('prints the problems as text with exit 2', async () => {
    const path = edited(sound(), (doc) => (doc.keys[1].id = 'release'));
    const result = await runCli(['trust', 'check', path]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/problem/);
    expect(result.stdout).toMatch(/duplicate-id/);
  });
});

describe('migseal trust check with certificate identities', () => {
  it('counts no identity of an expired CA, and checks timestamp authority files', async () => {
    const { createCa } = await import('../../src/ca/certificates.js');
    const path = sound();
    const dir = dirname(path);
    const expired = createCa({ name: 'old corp', days: 1, bits: 2048, now: new Date(Date.now() - 5 * 86_400_000) });
    writeFileSync(join(dir, 'old-ca.crt'), expired.certificatePem);
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    doc.keys = [doc.keys[1]];
    doc.cas = [{ id: 'old', certificate: 'old-ca.crt' }];
    doc.identities = [{ id: 'release-ci', ca: 'old', identity: 'https://ci.example.com/shop', issuer: 'https://ci.example.com', roles: ['release'], validityAt: 'verification-time' }];
    doc.timestampAuthorities = [{ id: 'tsa', certificates: ['tsa.crt'] }];
    writeFileSync(path, JSON.stringify(doc));
    const problems = await problemsOf(path);
    expect(problems).toContainEqual({ kind: 'threshold-unreachable', message: expect.stringMatching(/"default" needs 1 release signers, but only 0/) });
    expect(problems).toContainEqual({ kind: 'unreadable', message: expect.stringMatching(/timestamp authority "tsa": cannot read .*tsa\.crt \(ENOENT\)/) });
  });
});
