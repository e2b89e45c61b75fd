/**
 * Real keys, real policies and real bundles for tests, built through the library exactly
 * as the CLI builds them. Nothing here is mocked.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, type KeyType } from '../../src/signing/keys.js';
import { KeySigner } from '../../src/signing/key-signer.js';
import { loadPrivateKey } from '../../src/signing/keys.js';
import { pack, type PackOptions } from '../../src/pack/index.js';
import { loadTrustPolicy, type TrustPolicy } from '../../src/trust/policy.js';
import type { Role } from '../../src/format/statement.js';

export function tempDir(prefix = 'migseal-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o700);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface TestKey {
  name: string;
  privatePath: string;
  publicPath: string;
  keyId: string;
  signer: KeySigner;
}

/** Writes NAME.key and NAME.pub into dir and returns a signer for the key. */
export function makeKey(dir: string, name: string, type: KeyType = 'ed25519'): TestKey {
  const pair = generateKeyPair(type);
  const privatePath = join(dir, `${name}.key`);
  const publicPath = join(dir, `${name}.pub`);
  writeFileSync(privatePath, pair.privateKeyPem, { mode: 0o600 });
  writeFileSync(publicPath, pair.publicKeyPem, { mode: 0o644 });
  return { name, privatePath, publicPath, keyId: pair.keyId, signer: new KeySigner(loadPrivateKey(pair.privateKeyPem, privatePath)) };
}

export interface PolicyKey {
  key: TestKey;
  roles: Role[];
  notBefore?: string;
  notAfter?: string;
  revoked?: boolean;
}

/** Writes trust.json beside the keys (paths relative to it) and returns its path. */
export function writePolicy(
  dir: string,
  options: { project?: string; dialect?: string; keys: PolicyKey[]; environments?: Record<string, Record<string, unknown>> },
): string {
  const path = join(dir, 'trust.json');
  const doc = {
    project: options.project ?? 'shop',
    ...(options.dialect && { dialect: options.dialect }),
    keys: options.keys.map((k) => ({
      id: k.key.name,
      publicKey: `${k.key.name}.pub`,
      roles: k.roles,
      ...(k.notBefore && { notBefore: k.notBefore }),
      ...(k.notAfter && { notAfter: k.notAfter }),
      ...(k.revoked !== undefined && { revoked: k.revoked }),
    })),
    environments: options.environments ?? { default: { release: 1 }, production: { release: 1, approve: 1 } },
  };
  writeFileSync(path, JSON.stringify(doc, null, 2), { mode: 0o644 });
  return path;
}

export function loadPolicy(path: string): TrustPolicy {
  return loadTrustPolicy(path);
}

/** Writes migration files: { '1_users.up.sql': 'CREATE TABLE …' }. */
export function writeMigrations(dir: string, files: Record<string, string | Buffer>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

export const SHOP_MIGRATIONS: Record<string, string> = {
  '1_create_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n',
  '1_create_users.down.sql': 'DROP TABLE users;\n',
  '2_create_orders.up.sql': 'CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), total INTEGER NOT NULL);\n',
  '2_create_orders.down.sql': 'DROP TABLE orders;\n',
  '3_index_orders.up.sql': 'CREATE INDEX orders_user ON orders(user_id);\n',
  '3_index_orders.down.sql': 'DROP INDEX orders_user;\n',
};

/** Packs a folder with the library; signers default to none. */
export async function packBundle(options: Partial<PackOptions> & { dir: string; signers?: PackOptions['signers'] }): Promise<Buffer> {
  const result = await pack({ project: 'shop', release: '42', env: {}, ...options });
  return result.bundle;
}
