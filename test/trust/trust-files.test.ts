/**
 * parseTrustPolicy reaches the files a policy names through the reader it is given (the fuzzer
 * passes one that remembers them); without one, through the disk with its permission checks.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { MigsealError } from '../../src/errors.js';
import type { TrustFiles } from '../../src/trust/file-permissions.js';
import { parseTrustPolicy } from '../../src/trust/policy.js';
import { generateKeyPair } from '../../src/signing/keys.js';
import { removeDir, tempDir } from '../helpers/fixtures.js';

const dir = tempDir('migseal-trust-files-');
afterAll(() => removeDir(dir));
const policyPath = join(dir, 'trust.json');
const policy = Buffer.from(
  JSON.stringify({ project: 'shop', keys: [{ id: 'release', publicKey: 'release.pub', roles: ['release'] }], environments: { default: { release: 1 } } }),
);
const pair = generateKeyPair('ed25519');

function memoryFiles(files: Record<string, string>, problems: Record<string, string> = {}): TrustFiles & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    problem: (path) => problems[path],
    read: (path) => {
      asked.push(path);
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return Buffer.from(files[path]!);
    },
  };
}

describe('the files a trust policy names', () => {
  it('are read through the reader given, by their path beside the policy', () => {
    const files = memoryFiles({ [join(dir, 'release.pub')]: pair.publicKeyPem });
    const parsed = parseTrustPolicy(policy, policyPath, files);
    expect(parsed.keys.map((k) => [k.id, k.keyId])).toEqual([['release', pair.keyId]]);
    expect(files.asked).toEqual([join(dir, 'release.pub')]);
  });

  it("refuse the policy when the reader says a file is not safe, as the disk's check would", () => {
    const files = memoryFiles({ [join(dir, 'release.pub')]: pair.publicKeyPem }, { [join(dir, 'release.pub')]: 'release.pub is writable by others' });
    const error = (() => {
      try {
        parseTrustPolicy(policy, policyPath, files);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MigsealError);
    expect((error as MigsealError).code).toBe('POLICY_INSECURE');
    expect(files.asked).toEqual([]);
  });

  it('without a reader, are read from disk: a missing key file is a problem of its entry', () => {
    expect(() => parseTrustPolicy(policy, policyPath)).toThrow(/keys\[0\]\.publicKey: /);
  });
});
