/**
 * Hostile signature files: a valid release signature is present, and a second signature
 * entry is garbage, oversized, misplaced or subtly wrong. Refused through `migseal verify`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBundle } from '../../src/format/bundle-encode.js';
import { sha256Hex } from '../../src/format/digest.js';
import { LIMITS } from '../../src/limits.js';
import { signManifest } from '../../src/signing/sign-manifest.js';
import { gzip, rawTar } from '../format/tar-bytes.js';
import { decodeBundle, expectRefused, expectVerified, makeWorld, type World } from '../helpers/verify-world.js';

let world: World;
let contents: Awaited<ReturnType<typeof decodeBundle>>;
let valid: Buffer;
let doc: () => any;

beforeAll(async () => {
  world = await makeWorld();
  contents = await decodeBundle(world.bundle);
  valid = [...contents.signatures.values()][0]!;
  doc = () => JSON.parse(valid.toString('utf8'));
});
afterAll(() => world?.cleanup());

const withSignatures = (...extra: Buffer[]) => encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [valid, ...extra] });

describe('T1.4 signature files', () => {
  it('control: an extra signature by an unknown key is reported, not counted', async () => {
    const extra = await signManifest(sha256Hex(contents.manifestBytes), { role: 'release', project: 'shop', release: '42' }, world.stranger.signer);
    const report = await expectVerified(world, withSignatures(extra));
    expect(report.notCounted).toEqual([expect.objectContaining({ code: 'SIGNER_UNKNOWN' })]);
  });

  it('garbage beside a valid signature', () => expectRefused(world, withSignatures(Buffer.from('not json')), 'SIGNATURE_MALFORMED', /is not a valid Sigstore bundle: /));

  it('duplicate keys in a signature file', async () => {
    const text = valid.toString('utf8').replace('{', '{"mediaType":"x",');
    await expectRefused(world, withSignatures(Buffer.from(text)), 'SIGNATURE_MALFORMED', /duplicate key "mediaType"/);
  });

  it('a DSSE envelope with two signatures', async () => {
    const d = doc();
    d.dsseEnvelope.signatures.push(d.dsseEnvelope.signatures[0]);
    await expectRefused(world, encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [Buffer.from(JSON.stringify(d))] }), 'SIGNATURE_MALFORMED', /not a valid Sigstore bundle: invalid bundle/);
  });

  it('another payload type', async () => {
    const d = doc();
    d.dsseEnvelope.payloadType = 'text/plain';
    await expectRefused(world, encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [Buffer.from(JSON.stringify(d))] }), 'SIGNATURE_MALFORMED', /payload type/);
  });

  it('a signature file larger than the cap', async () => {
    const d = doc();
    d.padding = 'x'.repeat(LIMITS.maxSignatureBytes);
    await expectRefused(world, withSignatures(Buffer.from(JSON.stringify(d))), 'ARCHIVE_LIMIT_EXCEEDED', /larger than \d+ bytes/);
  });

  it('more signature files than the cap', async () => {
    const many = Array.from({ length: LIMITS.maxSignatures }, (_, i) => Buffer.from(`${valid.toString('utf8').trimEnd()}${' '.repeat(i + 1)}`));
    await expectRefused(world, withSignatures(...many), 'ARCHIVE_LIMIT_EXCEEDED', /more than \d+ signatures/);
  });

  it('a signature outside signatures/*.sigstore.json', async () => {
    const entries = [
      { name: 'manifest.json', data: contents.manifestBytes },
      ...[...contents.files].map(([p, data]) => ({ name: `files/${p}`, data })),
      { name: 'signatures/nested/a.sigstore.json', data: valid },
      { name: 'signatures/b.sigstore.json', data: valid },
    ];
    await expectRefused(world, gzip(rawTar(entries)), 'FILE_SET_MISMATCH', /unexpected entry "signatures\/nested\/a\.sigstore\.json"/);
  });
});
