/**
 * The same inputs give the same bundle on any machine: a fixed folder, a fixed Ed25519 key
 * and a fixed SOURCE_DATE_EPOCH must always give these exact bytes. A change in the tar
 * writer, the manifest, the signature encoding or the compressor that alters the output
 * fails here, and so does any dependence on the machine it runs on.
 */
import { createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pack } from '../../src/pack/index.js';
import { KeySigner } from '../../src/signing/key-signer.js';
import { sha256Hex } from '../../src/format/digest.js';
import { removeDir, SHOP_MIGRATIONS, tempDir, writeMigrations } from '../helpers/fixtures.js';

const SEED = Buffer.alloc(32, 7);
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

let dir: string;
beforeAll(() => {
  dir = tempDir();
  writeMigrations(dir, SHOP_MIGRATIONS);
});
afterAll(() => removeDir(dir));

describe('golden bundle', () => {
  it('is byte for byte the expected bundle', async () => {
    const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, SEED]), format: 'der', type: 'pkcs8' });
    const { bundle, digest } = await pack({
      dir,
      project: 'shop',
      release: '42',
      dialect: 'sqlite',
      env: { SOURCE_DATE_EPOCH: '1700000000' },
      source: { repository: 'https://git.example.com/shop', commit: 'a'.repeat(40), builder: 'https://ci.example.com/shop/release' },
      signers: [{ signer: new KeySigner(key), role: 'release' }],
    });
    expect({ manifest: digest, bundle: sha256Hex(bundle), size: bundle.length }).toEqual(GOLDEN);
  });
});

const GOLDEN = {
  // Since the manifest's peerHistory (the folder is golang-migrate's: its table is kept by default).
  manifest: '71e85932848f3e8880a33c38c1f61e50904a72f2291d399f6d990a47ea8b71fe',
  // Since the build provenance: attestations/<hex>.sigstore.json (SLSA provenance v1, signed by the release key);
  // since deflate level 4 (the same tar, compressed faster); since down scripts are analysed (migseal-lint/2).
  bundle: 'f52daea696eaf557c46b482fc8843b0041ef7c1052cafda420a29406d26d52fa',
  size: 2418,
};
