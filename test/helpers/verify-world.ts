/**
 * A small, real release world for refusal tests: real Ed25519 keys on disk, trust policies
 * beside them, a migrations folder and a validly signed bundle. Hostile bundles are built
 * from these pieces, and refusals are observed through the real CLI.
 */
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { encodeBundle } from '../../src/format/bundle-encode.js';
import { sha256Hex } from '../../src/format/digest.js';
import { signManifest } from '../../src/signing/sign-manifest.js';
import type { Signer } from '../../src/signing/signer.js';
import type { Role } from '../../src/format/statement.js';
import { makeKey, packBundle, removeDir, SHOP_MIGRATIONS, tempDir, writeMigrations, writePolicy, type PolicyKey, type TestKey } from './fixtures.js';
import { runCli } from './cli.js';

export interface World {
  dir: string;
  release: TestKey;
  approver: TestKey;
  stranger: TestKey;
  migrations: string;
  /** Policy: release key (release), approver (approve); default needs 1 release, production adds 1 approve. */
  policy: string;
  /** shop release 42, signed by the release key. */
  bundle: Buffer;
  cleanup: () => void;
}

export async function makeWorld(): Promise<World> {
  const dir = tempDir('migseal-verify-');
  const keysDir = join(dir, 'keys');
  mkdirSync(keysDir, { mode: 0o700 });
  const release = makeKey(keysDir, 'release');
  const approver = makeKey(keysDir, 'approver');
  const stranger = makeKey(keysDir, 'stranger');
  const policy = writePolicy(keysDir, { keys: [{ key: release, roles: ['release'] }, { key: approver, roles: ['approve'] }] });
  const migrations = writeMigrations(join(dir, 'migrations'), SHOP_MIGRATIONS);
  const bundle = await packBundle({ dir: migrations, signers: [{ signer: release.signer, role: 'release' }] });
  return { dir, release, approver, stranger, migrations, policy, bundle, cleanup: () => removeDir(dir) };
}

let policyCount = 0;

/** Writes a policy in a folder of its own (with copies of the public keys it names). */
export function policyWith(world: World, options: Parameters<typeof writePolicy>[1]): string {
  const dir = join(world.dir, `policy-${++policyCount}`);
  mkdirSync(dir, { mode: 0o700 });
  for (const k of options.keys) copyFileSync(k.key.publicPath, join(dir, `${k.key.name}.pub`));
  return writePolicy(dir, options);
}

export type { PolicyKey };

/** Signs exact manifest bytes and encodes a bundle, exactly as the packer would. */
export async function sealBundle(
  manifestBytes: Buffer,
  files: ReadonlyMap<string, Buffer>,
  signers: Array<{ signer: Signer; role: Role }>,
  claim: { project: string; release: string } = { project: 'shop', release: '42' },
  extraSignatures: Buffer[] = [],
): Promise<Buffer> {
  const digest = sha256Hex(manifestBytes);
  const signatures: Buffer[] = [...extraSignatures];
  for (const { signer, role } of signers) signatures.push(await signManifest(digest, { role, ...claim }, signer));
  return encodeBundle({ manifestBytes, files, signatures });
}

export { decodeBundle };

let bundleCount = 0;

/**
 * Writes `bundle`, runs `migseal verify --json` on it, and checks the refusal: exit 2, the
 * code, the message, and that nothing changed (the bundle file and the folder's contents).
 */
export async function expectRefused(
  world: World,
  bundle: Buffer,
  code: string,
  message: RegExp,
  options: { policy?: string; env?: string } = {},
): Promise<void> {
  const out = join(world.dir, 'out');
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const path = join(out, `bundle-${++bundleCount}.migseal`);
  writeFileSync(path, bundle);
  const before = readdirSync(world.dir, { recursive: true }).sort();
  const args = ['verify', path, '--trust', options.policy ?? world.policy, '--json', ...(options.env ? ['--env', options.env] : [])];
  const result = await runCli(args);
  const report = parseJson(result.stdout);
  expect({ exit: result.code, code: report.code }, result.stderr).toEqual({ exit: 2, code });
  expect(report.exitCode).toBe(2);
  expect(report.ok).toBe(false);
  expect(String(report.message)).toMatch(message);
  expect(result.stderr).toMatch(/^migseal: refused: /);
  expect(readFileSync(path).equals(bundle)).toBe(true);
  expect(readdirSync(world.dir, { recursive: true }).sort()).toEqual(before);
}

/** Runs `migseal verify --json` and expects success. */
export async function expectVerified(world: World, bundle: Buffer, options: { policy?: string; env?: string } = {}): Promise<Record<string, unknown>> {
  const out = join(world.dir, 'out');
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const path = join(out, `bundle-${++bundleCount}.migseal`);
  writeFileSync(path, bundle);
  const result = await runCli(['verify', path, '--trust', options.policy ?? world.policy, '--json', ...(options.env ? ['--env', options.env] : [])]);
  expect(result.code, result.stdout + result.stderr).toBe(0);
  return parseJson(result.stdout);
}

function parseJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { unparsable: text };
  }
}
