/**
 * Weird manifests, validly signed by a trusted release key: the signature and thresholds pass,
 * so the refusal comes from the strict manifest parser, through `migseal verify`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle, expectRefused, expectVerified, makeWorld, sealBundle, type World } from '../helpers/verify-world.js';

let world: World;
let manifest: string;
let files: Map<string, Buffer>;

beforeAll(async () => {
  world = await makeWorld();
  const contents = await decodeBundle(world.bundle);
  manifest = contents.manifestBytes.toString('utf8');
  files = contents.files;
});
afterAll(() => world?.cleanup());

const signed = (bytes: Buffer | string) => sealBundle(Buffer.from(bytes), files, [{ signer: world.release.signer, role: 'release' }]);

describe('T3.1-T3.4 validly signed, strictly parsed', () => {
  it('control: the same manifest re-signed verifies', async () => {
    await expectVerified(world, await signed(manifest));
  });

  it('duplicate JSON key (a second "project")', async () => {
    const bytes = manifest.replace('"project":"shop"', '"project":"shop","project":"blog"');
    await expectRefused(world, await signed(bytes), 'MANIFEST_MALFORMED', /duplicate key "project" at \$\.project/);
  });

  it('__proto__ key', async () => {
    const bytes = manifest.replace('"source":{', '"source":{"__proto__":{"dirty":false},');
    await expectRefused(world, await signed(bytes), 'MANIFEST_MALFORMED', /forbidden key "__proto__"/);
  });

  it('unsafe number', async () => {
    const bytes = manifest.replace(/"size":\d+/, '"size":9007199254740993');
    await expectRefused(world, await signed(bytes), 'MANIFEST_MALFORMED', /outside the safe range/);
  });

  it('non-integer number', async () => {
    const bytes = manifest.replace(/"size":(\d+)/, '"size":$1.0');
    await expectRefused(world, await signed(bytes), 'MANIFEST_MALFORMED', /only integers/);
  });

  it('uppercase digest', async () => {
    const bytes = manifest.replace(/"sha256":"([0-9a-f]{64})"/, (_, hex: string) => `"sha256":"${hex.toUpperCase()}"`);
    expect(bytes).not.toBe(manifest);
    await expectRefused(world, await signed(bytes), 'MANIFEST_INVALID', /sha256 must be 64 lowercase hex digits/);
  });

  it('digest of the wrong length', async () => {
    const bytes = manifest.replace(/"sha256":"([0-9a-f]{64})"/, (_, hex: string) => `"sha256":"${hex.slice(0, 40)}"`);
    await expectRefused(world, await signed(bytes), 'MANIFEST_INVALID', /sha256 must be 64 lowercase hex digits/);
  });

  it('unknown field', async () => {
    const bytes = manifest.replace('"project":"shop"', '"postDeploy":"DROP TABLE users","project":"shop"');
    await expectRefused(world, await signed(bytes), 'MANIFEST_INVALID', /\$\.postDeploy is not a known field/);
  });

  it('migration whose up file is named in another case than the file', async () => {
    const bytes = manifest.replace('"up":"1_create_users.up.sql"', '"up":"1_Create_Users.up.sql"');
    expect(bytes).not.toBe(manifest);
    await expectRefused(world, await signed(bytes), 'MANIFEST_INVALID', /\$\.migrations\[0\]\.up must name a file in \$\.files/);
  });

  it('byte-order mark', async () => {
    await expectRefused(world, await signed(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(manifest)])), 'MANIFEST_MALFORMED', /byte-order mark/);
  });

  it('invalid UTF-8', async () => {
    const bytes = Buffer.from(manifest.replace('"builder":{"id":"local"}', '"builder":{"id":"loc#l"}'));
    bytes[bytes.indexOf('loc#l') + 3] = 0xff;
    await expectRefused(world, await signed(bytes), 'MANIFEST_MALFORMED', /invalid UTF-8/);
  });

  it('JSON that is not the canonical form is still parsed strictly, not re-serialized', async () => {
    const pretty = `${JSON.stringify(JSON.parse(manifest), null, 2)}\n`;
    const report = await expectVerified(world, await signed(pretty));
    expect(report.digest).not.toBe((await expectVerified(world, world.bundle)).digest);
  });
});
