/**
 * pack signs every finding into the manifest; verify refuses findings the environment's
 * policy does not allow, before anything runs, and accepts them with an approval signature.
 * Real keys, real bundles, real signatures.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { encodeBundle } from '../../src/format/bundle-encode.js';
import { parseManifest, serializeManifest } from '../../src/format/manifest.js';
import { addSignature } from '../../src/signing/add-signature.js';
import { verifyBundle } from '../../src/verify/index.js';
import { loadPolicy, makeKey, packBundle, removeDir, tempDir, writeMigrations, writePolicy, type TestKey } from '../helpers/fixtures.js';
import { refusal } from '../helpers/refusal.js';

let dir: string;
let releaser: TestKey;
let approver: TestKey;

const DESTRUCTIVE = {
  '1_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, nickname text);\n',
  '2_drop_nickname.up.sql': "SET lock_timeout = '5s';\nALTER TABLE users DROP COLUMN nickname;\n",
};

beforeAll(() => {
  dir = tempDir();
  releaser = makeKey(dir, 'releaser');
  approver = makeKey(dir, 'approver');
});
afterAll(() => removeDir(dir));

async function manifestOf(bundle: Buffer) {
  return parseManifest((await decodeBundle(bundle)).manifestBytes);
}

function policy(environments?: Record<string, Record<string, unknown>>) {
  return loadPolicy(writePolicy(dir, { keys: [{ key: releaser, roles: ['release'] }, { key: approver, roles: ['approve'] }], ...(environments && { environments }) }));
}

describe('pack records the analysis', () => {
  test('every finding, with file, line and statement, and the analysing tool and dialect', async () => {
    const src = writeMigrations(join(dir, 'm1'), { ...DESTRUCTIVE, '3_index.up.sql': 'CREATE INDEX users_email ON users (email);\n' });
    const manifest = await manifestOf(await packBundle({ dir: src, dialect: 'postgres' }));
    expect(manifest.analysis).toEqual({ tool: 'migseal-lint/2', dialect: 'postgres' });
    expect(manifest.findings.map((f) => [f.rule, f.file, f.line, f.statement])).toEqual([
      ['destructive/drop-column', '2_drop_nickname.up.sql', 2, 'ALTER TABLE users DROP COLUMN nickname'],
      ['locking/create-index-non-concurrently', '3_index.up.sql', 1, 'CREATE INDEX users_email ON users (email)'],
      ['locking/missing-lock-timeout', '3_index.up.sql', 1, 'CREATE INDEX users_email ON users (email)'],
    ]);
  });

  test('a suppressed finding is recorded with its reason', async () => {
    const src = writeMigrations(join(dir, 'm2'), {
      ...DESTRUCTIVE,
      '2_drop_nickname.up.sql': "SET lock_timeout = '5s';\n-- migseal:allow destructive/drop-column reason: nickname moved to profiles in release 41\nALTER TABLE users DROP COLUMN nickname;\n",
    });
    const manifest = await manifestOf(await packBundle({ dir: src, dialect: 'postgres' }));
    expect(manifest.findings).toMatchObject([{ rule: 'destructive/drop-column', line: 3, suppressed: 'nickname moved to profiles in release 41' }]);
  });

  test('a folder marked "any" is analysed as each dialect it may run on, each finding naming its dialect', async () => {
    const src = writeMigrations(join(dir, 'm3'), { '1_t.up.sql': 'CREATE TABLE t (id INTEGER PRIMARY KEY) STRICT;\nATTACH DATABASE \'x.db\' AS x;\n' });
    const manifest = await manifestOf(await packBundle({ dir: src }));
    expect(manifest.analysis).toEqual({ tool: 'migseal-lint/2', dialect: 'any', dialects: ['postgres', 'sqlite'] });
    expect(manifest.findings.map((f) => [f.dialect, f.rule])).toEqual([
      ['postgres', 'parse/unreadable-statement'],
      ['postgres', 'parse/unreadable-statement'],
      ['sqlite', 'outside-schema/attach'],
    ]);
  });

  test('a statement that cannot run in the transaction its migration runs in fails the pack', async () => {
    const src = writeMigrations(join(dir, 'm4'), { ...DESTRUCTIVE, '3_index.up.sql': "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n" });
    const error = await refusal(packBundle({ dir: src, dialect: 'postgres', signers: [{ signer: releaser.signer, role: 'release' }] }));
    expect(error.code).toBe('LAYOUT_INVALID');
    expect(error.message).toMatch(/3_index\.up\.sql line 2: .*CREATE INDEX CONCURRENTLY.* cannot run inside a transaction/);
  });

  test('the same statement alone in its migration packs, non-transactional', async () => {
    const src = writeMigrations(join(dir, 'm5'), { ...DESTRUCTIVE, '3_index.up.sql': 'CREATE INDEX CONCURRENTLY users_email ON users (email);\n' });
    const manifest = await manifestOf(await packBundle({ dir: src, dialect: 'postgres' }));
    expect(manifest.migrations.map((m) => m.transactional)).toEqual([true, true, false]);
    expect(manifest.findings.map((f) => f.rule)).toEqual(['destructive/drop-column']);
  });
});

describe('T1.26 verify enforces the findings policy', () => {
  let destructive: Buffer;
  let outside: Buffer;
  let warningsOnly: Buffer;

  beforeAll(async () => {
    const release = [{ signer: releaser.signer, role: 'release' as const }];
    destructive = await packBundle({ dir: writeMigrations(join(dir, 'p1'), DESTRUCTIVE), dialect: 'postgres', signers: release });
    outside = await packBundle({ dir: writeMigrations(join(dir, 'p2'), { '1_grant.up.sql': 'GRANT SELECT ON users TO reporting;\n' }), dialect: 'postgres', signers: release });
    warningsOnly = await packBundle({ dir: writeMigrations(join(dir, 'p3'), { '1_idx.up.sql': 'CREATE INDEX users_email ON users (email);\n' }), dialect: 'postgres', signers: release });
  });

  test('by default a destructive finding needs an approval signature, naming rule, file and line', async () => {
    const error = await refusal(verifyBundle(destructive, { policy: policy({ default: { release: 1 } }) }));
    expect(error.code).toBe('FINDINGS_NOT_ALLOWED');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('The "default" policy needs an approval signature for destructive/drop-column at 2_drop_nickname.up.sql line 2 (by category "destructive" (default)), and the bundle has none.');
  });

  test('the same bundle passes once an approver signs it', async () => {
    const { bundle } = await addSignature(destructive, approver.signer, 'approve');
    const verified = await verifyBundle(bundle, { policy: policy({ default: { release: 1 } }) });
    expect(verified.manifest.findings).toHaveLength(1);
  });

  test('by default outside-schema findings need approval too, and warnings pass', async () => {
    expect((await refusal(verifyBundle(outside, { policy: policy({ default: { release: 1 } }) }))).message).toMatch(/outside-schema\/grant at 1_grant\.up\.sql line 1/);
    await expect(verifyBundle(warningsOnly, { policy: policy({ default: { release: 1 } }) })).resolves.toBeDefined();
  });

  test('a policy can refuse a category outright, even with an approval', async () => {
    const { bundle } = await addSignature(outside, approver.signer, 'approve');
    const rules = policy({ default: { release: 1 }, production: { release: 1, findings: { category: { 'outside-schema': 'refuse' } } } });
    await expect(verifyBundle(bundle, { policy: rules, environment: 'default' })).resolves.toBeDefined();
    const error = await refusal(verifyBundle(bundle, { policy: rules, environment: 'production' }));
    expect(error.message).toBe('The "production" policy refuses outside-schema/grant at 1_grant.up.sql line 1 (by category "outside-schema").');
  });

  test('a policy can allow a category, or tighten one rule', async () => {
    const rules = policy({ staging: { release: 1, findings: { category: { destructive: 'allow' }, rule: { 'locking/create-index-non-concurrently': 'refuse' } } } });
    await expect(verifyBundle(destructive, { policy: rules, environment: 'staging' })).resolves.toBeDefined();
    expect((await refusal(verifyBundle(warningsOnly, { policy: rules, environment: 'staging' }))).message).toMatch(/refuses locking\/create-index-non-concurrently at 1_idx\.up\.sql line 1 \(by rule/);
  });

  test('an approval by the release signer does not count where duties are separated', async () => {
    const both = makeKey(dir, 'both');
    const rules = loadPolicy(writePolicy(dir, { keys: [{ key: both, roles: ['release', 'approve'] }], environments: { default: { release: 1, approversDistinctFromRelease: true } } }));
    const signed = await packBundle({ dir: join(dir, 'p1'), dialect: 'postgres', signers: [{ signer: both.signer, role: 'release' }] });
    const { bundle } = await addSignature(signed, both.signer, 'approve');
    expect((await refusal(verifyBundle(bundle, { policy: rules }))).code).toBe('FINDINGS_NOT_ALLOWED');
  });

  test('a directive does not stand in for an approval unless the policy says so', async () => {
    const src = writeMigrations(join(dir, 'p4'), { ...DESTRUCTIVE, '2_drop_nickname.up.sql': "SET lock_timeout = '5s';\nALTER TABLE users DROP COLUMN nickname; -- migseal:allow destructive/drop-column reason: moved\n" });
    const bundle = await packBundle({ dir: src, dialect: 'postgres', signers: [{ signer: releaser.signer, role: 'release' }] });
    expect((await refusal(verifyBundle(bundle, { policy: policy({ default: { release: 1 } }) }))).code).toBe('FINDINGS_NOT_ALLOWED');
    await expect(verifyBundle(bundle, { policy: policy({ default: { release: 1, findings: { suppressed: 'allow' } } }) })).resolves.toBeDefined();
  });

  test('a finding cannot be dropped from a signed bundle: the signatures no longer match the manifest', async () => {
    const contents = await decodeBundle(destructive);
    const manifest = parseManifest(contents.manifestBytes);
    expect(manifest.findings).toHaveLength(1);
    const stripped = encodeBundle({ manifestBytes: serializeManifest({ ...manifest, findings: [] }), files: contents.files, signatures: contents.signatures.values() });
    const error = await refusal(verifyBundle(stripped, { policy: policy({ default: { release: 1 } }) }));
    expect(error.code).toMatch(/^SIGNATURE_/);
    expect(error.exitCode).toBe(2);
  });

  test('a malformed findings section makes the policy invalid, naming each bad path', () => {
    const path = writePolicy(dir, { keys: [{ key: releaser, roles: ['release'] }], environments: { default: { release: 1, findings: { category: { destructve: 'allow' }, rule: { 'destructive/drop-table': 'maybe' }, extra: 1 } } } });
    expect(refusal(() => loadPolicy(path), 'POLICY_INVALID').details?.problems).toEqual([
      '$.environments.default.findings.extra is not a known field',
      '$.environments.default.findings.category.destructve is not one of destructive, locking, outside-schema, transaction, parse',
      '$.environments.default.findings.rule.destructive/drop-table must be allow, approve or refuse',
    ]);
  });
});
