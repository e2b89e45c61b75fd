/**
 * One test per row of the threat list that needs no database. Each builds the bad bundle
 * for real (real keys, real signatures, real archive bytes) and shows that `migseal verify`
 * refuses it with exit 2, the right code and a message naming the cause, changing nothing.
 */
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBundle } from '../../src/format/bundle-encode.js';
import { sha256Hex } from '../../src/format/digest.js';
import { signManifest } from '../../src/signing/sign-manifest.js';
import { makeKey, packBundle, writeMigrations, SHOP_MIGRATIONS } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { gzip, rawTar } from '../format/tar-bytes.js';
import { decodeBundle, expectRefused, expectVerified, makeWorld, policyWith, sealBundle, type World } from '../helpers/verify-world.js';

let world: World;
beforeAll(async () => {
  world = await makeWorld();
});
afterAll(() => world?.cleanup());

const signedBy = (w: World) => [{ signer: w.release.signer, role: 'release' as const }];

describe('control', () => {
  it('the untouched bundle verifies (so every refusal below is caused by its attack)', async () => {
    const report = await expectVerified(world, world.bundle);
    expect(report).toMatchObject({ ok: true, project: 'shop', release: '42', migrations: [{ version: '1' }, { version: '2' }, { version: '3' }], files: 6 });
  });
});

describe('arbitrary bundle', () => {
  it('T1.1 unsigned bundle', async () => {
    const bundle = await packBundle({ dir: world.migrations });
    await expectRefused(world, bundle, 'BUNDLE_UNSIGNED', /not signed/);
  });

  it('T1.2 bundle signed by an unknown key', async () => {
    const bundle = await packBundle({ dir: world.migrations, signers: [{ signer: world.stranger.signer, role: 'release' }] });
    await expectRefused(world, bundle, 'SIGNER_UNKNOWN', /trust policy does not name/);
  });

  it('T1.3 signature bytes altered', async () => {
    const contents = await decodeBundle(world.bundle);
    const [entry, bytes] = [...contents.signatures][0]!;
    const doc = JSON.parse(bytes.toString('utf8'));
    const sig = Buffer.from(doc.dsseEnvelope.signatures[0].sig, 'base64');
    sig[10]! ^= 0x01;
    doc.dsseEnvelope.signatures[0].sig = sig.toString('base64');
    const bundle = encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [Buffer.from(JSON.stringify(doc))] });
    expect(entry).toMatch(/^signatures\//);
    await expectRefused(world, bundle, 'SIGNATURE_INVALID', /does not verify/);
  });

  it('T1.3 signed statement altered to name another manifest, signature kept', async () => {
    const contents = await decodeBundle(world.bundle);
    const doc = JSON.parse([...contents.signatures.values()][0]!.toString('utf8'));
    const statement = JSON.parse(Buffer.from(doc.dsseEnvelope.payload, 'base64').toString('utf8'));
    statement.subject[0].digest.sha256 = sha256Hex('another manifest');
    doc.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    const bundle = encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [Buffer.from(JSON.stringify(doc))] });
    await expectRefused(world, bundle, 'SIGNATURE_INVALID', /does not verify/);
  });
});

describe('payload altered after signing', () => {
  it('T1.6 one byte of one SQL file altered (re-tarred, manifest untouched)', async () => {
    const contents = await decodeBundle(world.bundle);
    const data = Buffer.from(contents.files.get('1_create_users.up.sql')!);
    data[0] = data[0]! ^ 0x20; // "CREATE" -> "cREATE": same size, other bytes
    contents.files.set('1_create_users.up.sql', data);
    const bundle = encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: contents.signatures.values() });
    await expectRefused(world, bundle, 'FILE_DIGEST_MISMATCH', /1_create_users\.up\.sql does not match its SHA-256/);
  });

  it('T1.6 one SQL file grown by a statement', async () => {
    const contents = await decodeBundle(world.bundle);
    contents.files.set('2_create_orders.up.sql', Buffer.concat([contents.files.get('2_create_orders.up.sql')!, Buffer.from('DROP TABLE users;\n')]));
    const bundle = encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: contents.signatures.values() });
    await expectRefused(world, bundle, 'FILE_DIGEST_MISMATCH', /2_create_orders\.up\.sql is \d+ bytes, but the signed manifest says/);
  });

  it('T1.5 manifest altered (one byte), signatures kept', async () => {
    const contents = await decodeBundle(world.bundle);
    const manifest = Buffer.from(contents.manifestBytes.toString('utf8').replace('"release":"42"', '"release":"43"'));
    expect(manifest.length).toBe(contents.manifestBytes.length);
    expect(manifest.equals(contents.manifestBytes)).toBe(false);
    const bundle = encodeBundle({ manifestBytes: manifest, files: contents.files, signatures: contents.signatures.values() });
    await expectRefused(world, bundle, 'SIGNATURE_SUBJECT_MISMATCH', /is for another manifest/);
  });

  it('T1.5 manifest altered with the file change it would hide (digest updated), signatures kept', async () => {
    const contents = await decodeBundle(world.bundle);
    const evil = Buffer.from('DROP TABLE users;\n');
    const old = contents.files.get('3_index_orders.up.sql')!;
    const manifest = Buffer.from(contents.manifestBytes.toString('utf8').replace(sha256Hex(old), sha256Hex(evil)).replace(`"size":${old.length}`, `"size":${evil.length}`));
    contents.files.set('3_index_orders.up.sql', evil);
    const bundle = encodeBundle({ manifestBytes: manifest, files: contents.files, signatures: contents.signatures.values() });
    await expectRefused(world, bundle, 'SIGNATURE_SUBJECT_MISMATCH', /is for another manifest/);
  });

  it('T1.7 file added under files/', async () => {
    const contents = await decodeBundle(world.bundle);
    contents.files.set('4_backdoor.up.sql', Buffer.from('CREATE USER evil;\n'));
    const bundle = encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: contents.signatures.values() });
    await expectRefused(world, bundle, 'FILE_SET_MISMATCH', /holds files\/4_backdoor\.up\.sql which the manifest does not name/);
  });

  it('T1.7 file added outside files/ and signatures/', async () => {
    const contents = await decodeBundle(world.bundle);
    const entries = [
      { name: 'manifest.json', data: contents.manifestBytes },
      ...[...contents.files].map(([p, data]) => ({ name: `files/${p}`, data })),
      ...[...contents.signatures].map(([name, data]) => ({ name, data })),
      { name: 'run.sh', data: Buffer.from('rm -rf /\n') },
    ];
    await expectRefused(world, gzip(rawTar(entries)), 'FILE_SET_MISMATCH', /unexpected entry "run\.sh"/);
  });

  it('T1.7 file removed', async () => {
    const contents = await decodeBundle(world.bundle);
    contents.files.delete('3_index_orders.down.sql');
    const bundle = encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: contents.signatures.values() });
    await expectRefused(world, bundle, 'FILE_SET_MISMATCH', /lacks files\/3_index_orders\.down\.sql which the manifest names/);
  });

  it('T1.7 file renamed', async () => {
    const contents = await decodeBundle(world.bundle);
    const data = contents.files.get('2_create_orders.up.sql')!;
    contents.files.delete('2_create_orders.up.sql');
    contents.files.set('5_create_orders.up.sql', data);
    const bundle = encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: contents.signatures.values() });
    await expectRefused(world, bundle, 'FILE_SET_MISMATCH', /holds files\/5_create_orders\.up\.sql .* and lacks files\/2_create_orders\.up\.sql/);
  });

  it('T1.7 manifest.json removed', async () => {
    const contents = await decodeBundle(world.bundle);
    const entries = [...[...contents.files].map(([p, data]) => ({ name: `files/${p}`, data })), ...[...contents.signatures].map(([name, data]) => ({ name, data }))];
    await expectRefused(world, gzip(rawTar(entries)), 'FILE_SET_MISMATCH', /no manifest\.json/);
  });
});

describe('mix-and-match', () => {
  it("T1.8 bundle A's signature with bundle B's manifest", async () => {
    const dirB = writeMigrations(join(world.dir, 'migrations-b'), { ...SHOP_MIGRATIONS, '4_add_notes.up.sql': 'ALTER TABLE orders ADD notes TEXT;\n' });
    const b = await decodeBundle(await packBundle({ dir: dirB, release: '43' }));
    const a = await decodeBundle(world.bundle);
    const bundle = encodeBundle({ manifestBytes: b.manifestBytes, files: b.files, signatures: a.signatures.values() });
    await expectRefused(world, bundle, 'SIGNATURE_SUBJECT_MISMATCH', /is for another manifest/);
  });

  it('T1.8 a file from release 5 dropped into release 6', async () => {
    const five = writeMigrations(join(world.dir, 'release-5'), { '1_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n' });
    const six = writeMigrations(join(world.dir, 'release-6'), { '1_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n' });
    const old = await decodeBundle(await packBundle({ dir: five, release: '5', signers: signedBy(world) }));
    const current = await decodeBundle(await packBundle({ dir: six, release: '6', signers: signedBy(world) }));
    current.files.set('1_users.up.sql', old.files.get('1_users.up.sql')!);
    const bundle = encodeBundle({ manifestBytes: current.manifestBytes, files: current.files, signatures: current.signatures.values() });
    await expectRefused(world, bundle, 'FILE_DIGEST_MISMATCH', /1_users\.up\.sql/);
  });

  it('T1.8 a signature that attests another release number over this manifest', async () => {
    const contents = await decodeBundle(world.bundle);
    const bundle = await sealBundle(contents.manifestBytes, contents.files, signedBy(world), { project: 'shop', release: '41' });
    await expectRefused(world, bundle, 'SIGNATURE_SUBJECT_MISMATCH', /attests shop release 41, but the manifest is shop release 42/);
  });
});

describe('wrong target', () => {
  it("T1.11 another project's bundle (WRONG_PROJECT)", async () => {
    const bundle = await packBundle({ dir: world.migrations, project: 'blog', signers: signedBy(world) });
    await expectRefused(world, bundle, 'WRONG_PROJECT', /for project "blog", but this trust policy is for "shop"/);
  });

  it('T1.12 wrong dialect when the policy names one', async () => {
    const policy = policyWith(world, { dialect: 'sqlite', keys: [{ key: world.release, roles: ['release'] }] });
    const bundle = await packBundle({ dir: world.migrations, dialect: 'postgres', signers: signedBy(world) });
    await expectRefused(world, bundle, 'WRONG_DIALECT', /for postgres, but this trust policy is for sqlite/, { policy });
    await expectVerified(world, await packBundle({ dir: world.migrations, dialect: 'sqlite', signers: signedBy(world) }), { policy });
  });

  it('T1.13 unknown environment', async () => {
    await expectRefused(world, world.bundle, 'ENVIRONMENT_UNKNOWN', /no environment "staging"/, { env: 'staging' });
    await expectRefused(world, world.bundle, 'ENVIRONMENT_UNKNOWN', /no environment "__proto__"/, { env: '__proto__' });
    await expectRefused(world, world.bundle, 'ENVIRONMENT_UNKNOWN', /no environment "constructor"/, { env: 'constructor' });
  });
});

describe('freeze', () => {
  it('T1.14 expired bundle (pack --expires in the past)', async () => {
    const out = join(world.dir, 'expired.migseal');
    const packed = await runCli(['pack', world.migrations, '--project', 'shop', '--release', '42', '--key', world.release.privatePath, '--out', out, '--expires', '2020-01-01T00:00:00Z']);
    expect(packed.code, packed.stderr).toBe(0);
    // pack still writes it (a rebuild of an old release gives the same bytes), but warns.
    expect(packed.stdout).toContain('  WARNING     the release expired at 2020-01-01T00:00:00Z: every host will refuse it (BUNDLE_EXPIRED)');
    await expectRefused(world, readFileSync(out), 'BUNDLE_EXPIRED', /expired at 2020-01-01T00:00:00Z/);
  });

  it('T1.14 bundle without an expiry where the environment requires one (requireExpiry)', async () => {
    const policy = policyWith(world, { keys: [{ key: world.release, roles: ['release'] }], environments: { default: { release: 1 }, production: { release: 1, requireExpiry: true } } });
    await expectVerified(world, world.bundle, { policy });
    await expectRefused(world, world.bundle, 'BUNDLE_EXPIRED', /"production" policy requires a signed expiry/, { policy, env: 'production' });
    const future = await packBundle({ dir: world.migrations, expiresAt: '2099-01-01T00:00:00Z', signers: signedBy(world) });
    await expectVerified(world, future, { policy, env: 'production' });
  });
});

describe('key compromise', () => {
  it('T1.15 revoked key', async () => {
    const policy = policyWith(world, { keys: [{ key: world.release, roles: ['release'], revoked: true }, { key: world.approver, roles: ['release'] }] });
    const bundle = await packBundle({ dir: world.migrations, signers: [...signedBy(world), { signer: world.approver.signer, role: 'release' }] });
    await expectRefused(world, bundle, 'SIGNER_REVOKED', /signed by key "release", which the trust policy revokes/, { policy });
  });

  it('T1.16 key past its notAfter', async () => {
    const policy = policyWith(world, { keys: [{ key: world.release, roles: ['release'], notAfter: '2020-01-01T00:00:00Z' }] });
    await expectRefused(world, world.bundle, 'SIGNER_OUTSIDE_VALIDITY', /key "release" is outside its validity window/, { policy });
  });

  it('T1.16 key before its notBefore', async () => {
    const policy = policyWith(world, { keys: [{ key: world.release, roles: ['release'], notBefore: '2099-01-01T00:00:00Z' }] });
    await expectRefused(world, world.bundle, 'SIGNER_OUTSIDE_VALIDITY', /key "release" is outside its validity window/, { policy });
  });

  it('T1.17 role not allowed (an approver key signing as release)', async () => {
    const bundle = await packBundle({ dir: world.migrations, signers: [{ signer: world.approver.signer, role: 'release' }] });
    await expectRefused(world, bundle, 'SIGNER_ROLE_NOT_ALLOWED', /key "approver" signed as release but the policy allows it only approve/);
  });

  it('T1.18 production needs an approval the bundle lacks', async () => {
    await expectRefused(world, world.bundle, 'THRESHOLD_NOT_MET', /needs 1 more approval from role approve/, { env: 'production' });
  });

  it('T1.18 threshold k-of-n: one key signing twice is counted once', async () => {
    const keysDir = join(world.dir, 'ecdsa');
    mkdirSync(keysDir, { mode: 0o700 });
    const ecdsa = makeKey(keysDir, 'ecdsa-approver', 'ecdsa-p256');
    const other = makeKey(keysDir, 'other-approver');
    const policy = policyWith(world, {
      keys: [{ key: world.release, roles: ['release'] }, { key: ecdsa, roles: ['approve'] }, { key: other, roles: ['approve'] }],
      environments: { default: { release: 1 }, production: { release: 1, approve: 2 } },
    });
    const contents = await decodeBundle(world.bundle);
    const digest = sha256Hex(contents.manifestBytes);
    const claim = { role: 'approve' as const, project: 'shop', release: '42' };
    const first = await signManifest(digest, claim, ecdsa.signer);
    const second = await signManifest(digest, claim, ecdsa.signer);
    expect(first.equals(second)).toBe(false); // ECDSA: two distinct signatures by one key
    const twice = encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [...contents.signatures.values(), first, second] });
    expect((await decodeBundle(twice)).signatures.size).toBe(3);
    await expectRefused(world, twice, 'THRESHOLD_NOT_MET', /needs 1 more approval from role approve \(distinct keys or identities\)/, { policy, env: 'production' });
    const distinct = encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [...contents.signatures.values(), first, await signManifest(digest, claim, other.signer)] });
    await expectVerified(world, distinct, { policy, env: 'production' });
  });
});

describe('trust policy tampered on the host', () => {
  it('T1.22 world-writable policy file (POLICY_INSECURE)', async () => {
    const policy = policyWith(world, { keys: [{ key: world.release, roles: ['release'] }] });
    chmodSync(policy, 0o666);
    await expectRefused(world, world.bundle, 'POLICY_INSECURE', /writable by others/, { policy });
  });

  it('T1.22 group-writable key file (POLICY_INSECURE)', async () => {
    const policy = policyWith(world, { keys: [{ key: world.release, roles: ['release'] }] });
    chmodSync(join(policy, '..', 'release.pub'), 0o664);
    await expectRefused(world, world.bundle, 'POLICY_INSECURE', /release\.pub is writable by its group/, { policy });
  });

  it('T1.22 world-writable keys folder (POLICY_INSECURE)', async () => {
    const policy = policyWith(world, { keys: [{ key: world.release, roles: ['release'] }] });
    chmodSync(join(policy, '..'), 0o777);
    await expectRefused(world, world.bundle, 'POLICY_INSECURE', /writable by others/, { policy });
    chmodSync(join(policy, '..'), 0o700);
  });

  // Anyone may replace a key kept in a world-writable folder, wherever the policy lives.
  it('T1.22 key file in a world-writable folder outside the policy folder (POLICY_INSECURE)', async () => {
    const shared = join(world.dir, 'shared-keys');
    mkdirSync(shared, { mode: 0o700 });
    chmodSync(shared, 0o777);
    copyFileSync(world.release.publicPath, join(shared, 'release.pub'));
    const policyDir = join(world.dir, 'policy-outside');
    mkdirSync(policyDir, { mode: 0o700 });
    const policy = join(policyDir, 'trust.json');
    writeFileSync(policy, JSON.stringify({ project: 'shop', keys: [{ id: 'release', publicKey: '../shared-keys/release.pub', roles: ['release'] }], environments: { default: { release: 1 } } }), { mode: 0o644 });
    await expectRefused(world, world.bundle, 'POLICY_INSECURE', /shared-keys is writable by others/, { policy });
  });
});
