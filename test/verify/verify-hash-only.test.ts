/**
 * `migseal verify` runs nothing, so it reads the archive once: every file is hashed as it
 * inflates and none is held, then each size and SHA-256 is checked against the signed
 * manifest. Files past what is held before trust (LIMITS.maxUntrustedFileBytes) are checked
 * as strictly as the rest: a byte changed or a file cut short is refused.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/limits.js';
import { packBundle, SHOP_MIGRATIONS, writeMigrations } from '../helpers/fixtures.js';
import { decodeBundle, expectRefused, expectVerified, makeWorld, sealBundle, type World } from '../helpers/verify-world.js';

const SIZE = 5 * 1024 ** 2;
let world: World;
let manifestBytes: Buffer;
let files: Map<string, Buffer>;

beforeAll(async () => {
  world = await makeWorld();
  // Two data files carried beside the migrations, together past what is held before trust.
  const dir = writeMigrations(join(world.dir, 'with-data'), { ...SHOP_MIGRATIONS, 'data-a.bin': randomBytes(SIZE), 'data-b.bin': randomBytes(SIZE) });
  const bundle = await packBundle({ dir, dialect: 'sqlite', signers: [{ signer: world.release.signer, role: 'release' }] });
  ({ manifestBytes, files } = await decodeBundle(bundle));
  expect(2 * SIZE).toBeGreaterThan(LIMITS.maxUntrustedFileBytes);
}, 60_000);
afterAll(() => world?.cleanup());

const withFile = (name: string, data: Buffer) => sealBundle(manifestBytes, new Map([...files, [name, data]]), [{ signer: world.release.signer, role: 'release' }]);

describe('verify reads the archive once', () => {
  it('a signed bundle with files past the untrusted budget verifies', async () => {
    const report = await expectVerified(world, await withFile('data-b.bin', files.get('data-b.bin')!));
    expect(report.files).toBe(files.size);
  });

  it('one byte changed in the last file, at its signed size: FILE_DIGEST_MISMATCH', async () => {
    const changed = Buffer.from(files.get('data-b.bin')!);
    changed[SIZE - 1] = changed[SIZE - 1]! ^ 1;
    await expectRefused(world, await withFile('data-b.bin', changed), 'FILE_DIGEST_MISMATCH', /^The file data-b\.bin does not match its SHA-256 in the signed manifest\.$/);
  });

  it('the last file one byte short: FILE_DIGEST_MISMATCH naming both sizes', async () => {
    const short = files.get('data-b.bin')!.subarray(0, SIZE - 1);
    await expectRefused(world, await withFile('data-b.bin', short), 'FILE_DIGEST_MISMATCH', new RegExp(`^The file data-b\\.bin is ${SIZE - 1} bytes, but the signed manifest says ${SIZE}\\.$`));
  });
});
