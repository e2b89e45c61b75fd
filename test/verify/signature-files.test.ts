/**
 * Hostile signature files: a valid release signature is present, and a second signature
 * entry is garbage, oversized, misplaced or subtly wrong. Refused through `migseal verify`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBundle } from '../../src/format/bundle-encode.js';
import { sha256Hex } from '../../src/format/digest.js';
import { LIMITS } from '../../src/limits.js';
import { signManifest } from '../../src/signing/sign-manifest.js';
import { signStatement } from '../../src/signing/sign-statement.js';
import { buildStatement } from '../../src/format/statement.js';
import { buildRehearsalStatement, type RehearsalPredicate } from '../../src/format/rehearsal-statement.js';
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

describe('statements with fields migseal does not define, validly signed by the release key', () => {
  const digest = () => sha256Hex(contents.manifestBytes);
  /** A release statement for this manifest, changed by `edit`, signed by the release key. */
  const signedRelease = (edit: (statement: any) => void) => {
    const statement: any = buildStatement(digest(), { role: 'release', project: 'shop', release: '42' });
    edit(statement);
    return signStatement(statement, world.release.signer);
  };
  const rehearsal = (): RehearsalPredicate => ({
    project: 'shop',
    release: '42',
    server: { dialect: 'sqlite', version: 'SQLite 3.50.4' },
    rehearsedAt: '2026-12-01T00:00:00.000Z',
    passed: true,
    migrations: [{ version: '1', name: 'create_users', up: 'ok', down: 'ok', reapply: 'ok', before: 'a'.repeat(64), after: 'b'.repeat(64) }],
    fingerprints: { empty: 'a'.repeat(64), applied: 'b'.repeat(64), reapplied: 'b'.repeat(64) },
  });
  const withRehearsal = async (edit: (statement: any) => void) => {
    const statement: any = buildRehearsalStatement(digest(), rehearsal());
    edit(statement);
    return encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [valid], attestations: [await signStatement(statement, world.release.signer)] });
  };

  it('control: the same statements without them verify', async () => {
    await expectVerified(world, encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [await signedRelease(() => undefined)] }));
    await expectVerified(world, await withRehearsal(() => undefined));
  });

  it('a release statement with an unknown top-level field', async () => {
    const signature = await signedRelease((s) => (s.expires = '2099-01-01T00:00:00Z'));
    await expectRefused(world, encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [signature] }), 'SIGNATURE_MALFORMED', /^The statement in signatures\/[0-9a-f]+\.sigstore\.json is not a migseal release statement: \$\.expires is not a known field\.$/);
  });

  it('a release statement with an unknown field in its predicate or subject', async () => {
    const inPredicate = await signedRelease((s) => (s.predicate.environment = 'production'));
    await expectRefused(world, encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [inPredicate] }), 'SIGNATURE_MALFORMED', /: \$\.predicate\.environment is not a known field\.$/);
    const inSubject = await signedRelease((s) => (s.subject[0].digest.sha512 = 'c'.repeat(128)));
    await expectRefused(world, encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [inSubject] }), 'SIGNATURE_MALFORMED', /: \$\.subject\[0\]\.digest\.sha512 is not a known field\.$/);
  });

  it('many unknown fields are named five at a time', async () => {
    const signature = await signedRelease((s) => {
      for (let i = 0; i < 8; i++) s[`x${i}`] = i;
    });
    await expectRefused(world, encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [signature] }), 'SIGNATURE_MALFORMED', /: \$\.x0 is not a known field; .*; \$\.x4 is not a known field and 3 more\.$/);
  });

  it('a rehearsal statement with an unknown field at the top, in its predicate, its server or a migration', async () => {
    const cases: Array<[(s: any) => void, string]> = [
      [(s) => (s.note = 'x'), '$.note'],
      [(s) => (s.predicate.waived = true), '$.predicate.waived'],
      [(s) => (s.predicate.server.host = 'db1'), '$.predicate.server.host'],
      [(s) => (s.predicate.migrations[0].skipped = true), '$.predicate.migrations[0].skipped'],
    ];
    for (const [edit, field] of cases) {
      const escaped = field.replace(/[$.[\]]/g, (c) => `\\${c}`);
      await expectRefused(world, await withRehearsal(edit), 'SIGNATURE_MALFORMED', new RegExp(`^The rehearsal attestations/[0-9a-f]+\\.sigstore\\.json by key "release" is not a migseal rehearsal statement: ${escaped} is not a known field\\.$`));
    }
  });
});
