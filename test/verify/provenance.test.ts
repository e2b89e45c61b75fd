/**
 * The build provenance as a host checks it: one test per attack on it. Each hostile bundle
 * is built for real (real keys, real signatures, real archive bytes) and `migseal verify`
 * must refuse it with exit 2, the right code and a message naming what was expected and
 * what was found, changing nothing.
 */
import { describe, beforeAll, afterAll, expect, it } from 'vitest';
import { encodeBundle } from '../../src/format/bundle-encode.js';
import { sha256Hex } from '../../src/format/digest.js';
import { parseManifest } from '../../src/format/manifest.js';
import { signStatement } from '../../src/signing/sign-statement.js';
import { buildProvenance } from '../../src/format/provenance-statement.js';
import { pack } from '../../src/pack/index.js';
import type { Signer } from '../../src/signing/signer.js';
import { gzip, rawTar } from '../format/tar-bytes.js';
import { decodeBundle, expectRefused, expectVerified, makeWorld, policyWith, type World } from '../helpers/verify-world.js';
import { runCli } from '../helpers/cli.js';

const BUILDER = 'https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main';
const REPOSITORY = 'https://github.com/acme/shop';
const GITHUB = {
  GITHUB_ACTIONS: 'true',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_WORKFLOW_REF: 'acme/shop/.github/workflows/release.yml@refs/heads/main',
  GITHUB_SHA: 'c'.repeat(40),
  GITHUB_REF: 'refs/heads/main',
  GITHUB_RUN_ID: '1',
};

let world: World;
/** default: no requirement; production: 1 release + the builder and repository above; exists: any verified provenance. */
let policy: string;
/** shop release 42 packed on GitHub Actions, signed by the release key (with its provenance). */
let good: Buffer;

beforeAll(async () => {
  world = await makeWorld();
  policy = policyWith(world, {
    keys: [{ key: world.release, roles: ['release'] }, { key: world.approver, roles: ['approve'] }],
    environments: {
      default: { release: 1 },
      production: { release: 1, provenance: { builderId: BUILDER, sourceRepository: REPOSITORY } },
      exists: { release: 1, provenance: {} },
      patterned: { release: 1, provenance: { sourceRepositoryPattern: 'https://github\\.com/acme/shop' } },
    },
  });
  good = await packGithub();
});
afterAll(() => world?.cleanup());

async function packGithub(env: Record<string, string> = {}, release = '42', signer: Signer = world.release.signer): Promise<Buffer> {
  const { bundle } = await pack({ dir: world.migrations, project: 'shop', release, env: { ...GITHUB, ...env }, signers: [{ signer, role: 'release' }] });
  return bundle;
}

/** The bundle with its attestations replaced (its manifest, files and signatures untouched). */
async function withAttestations(bundle: Buffer, attestations: Buffer[]): Promise<Buffer> {
  const c = await decodeBundle(bundle);
  return encodeBundle({ manifestBytes: c.manifestBytes, files: c.files, signatures: c.signatures.values(), attestations });
}

/** A provenance for the bundle's own manifest, signed by `signer`, after `change` edits the manifest it describes. */
async function provenanceFor(bundle: Buffer, signer: Signer, change: (m: ReturnType<typeof parseManifest>) => void = () => {}): Promise<Buffer> {
  const c = await decodeBundle(bundle);
  const manifest = parseManifest(c.manifestBytes);
  const described = JSON.parse(JSON.stringify(manifest));
  change(described);
  return signStatement(buildProvenance(sha256Hex(c.manifestBytes), described, { ref: 'refs/heads/main' }), signer);
}

describe('control', () => {
  it('the GitHub-built bundle meets the production requirement, and verify names the provenance', async () => {
    const report = await expectVerified(world, good, { policy, env: 'production' });
    expect(report.provenance).toMatchObject({ builderId: BUILDER, sourceRepository: REPOSITORY, sourceCommit: 'c'.repeat(40), signer: 'release' });
  });

  it('an anchored pattern is an explicit opt-in and matches the whole repository', async () => {
    await expectVerified(world, good, { policy, env: 'patterned' });
    const evil = await packGithub({ GITHUB_REPOSITORY: 'acme/shop-evil' });
    await expectRefused(world, evil, 'PROVENANCE_REQUIRED', /source repository matching .*names source repository "https:\/\/github\.com\/acme\/shop-evil"/, { policy, env: 'patterned' });
  });
});

describe('T1.25 the environment requires provenance', () => {
  it('provenance missing', async () => {
    const bundle = await withAttestations(good, []);
    await expectVerified(world, bundle, { policy });
    await expectRefused(world, bundle, 'PROVENANCE_REQUIRED', /"production" policy requires a verified build provenance from builder "https:\/\/github\.com\/acme\/shop\/\.github\/workflows\/release\.yml@refs\/heads\/main" and source repository "https:\/\/github\.com\/acme\/shop", but the bundle carries none\./, { policy, env: 'production' });
    await expectRefused(world, bundle, 'PROVENANCE_REQUIRED', /requires a verified build provenance, but the bundle carries none/, { policy, env: 'exists' });
  });

  it('builder differs (another workflow of the same repository)', async () => {
    const bundle = await packGithub({ GITHUB_WORKFLOW_REF: 'acme/shop/.github/workflows/debug.yml@refs/heads/main' });
    await expectRefused(world, bundle, 'PROVENANCE_REQUIRED', /but the verified provenance names builder "https:\/\/github\.com\/acme\/shop\/\.github\/workflows\/debug\.yml@refs\/heads\/main"\./, { policy, env: 'production' });
  });

  it('builder differs only by a suffix: identities are compared exactly', async () => {
    const suffixed = await pack({ dir: world.migrations, project: 'shop', release: '42', env: GITHUB, source: { builder: `${BUILDER}-evil` }, signers: [{ signer: world.release.signer, role: 'release' }] });
    await expectRefused(world, suffixed.bundle, 'PROVENANCE_REQUIRED', /names builder ".*main-evil"/, { policy, env: 'production' });
  });

  it('source repository differs', async () => {
    const bundle = await packGithub({ GITHUB_REPOSITORY: 'mallory/shop', GITHUB_WORKFLOW_REF: 'acme/shop/.github/workflows/release.yml@refs/heads/main' });
    await expectRefused(world, bundle, 'PROVENANCE_REQUIRED', /but the verified provenance names source repository "https:\/\/github\.com\/mallory\/shop"\./, { policy, env: 'production' });
  });

  it('provenance signed by a key the policy does not name: set aside, so required provenance is missing', async () => {
    const bundle = await withAttestations(good, [await provenanceFor(good, world.stranger.signer)]);
    const report = await expectVerified(world, bundle, { policy });
    expect(report.provenance).toBeNull();
    expect(JSON.stringify(report.notCounted)).toMatch(/the provenance is signed by key [0-9a-f]{16}…, which the trust policy does not name/);
    await expectRefused(world, bundle, 'PROVENANCE_REQUIRED', /but the bundle's provenance is not accepted \(the provenance is signed by key [0-9a-f]{16}…, which the trust policy does not name\)/, { policy, env: 'production' });
  });

  it('provenance signed by a trusted key without the release role', async () => {
    const bundle = await withAttestations(good, [await provenanceFor(good, world.approver.signer)]);
    await expectRefused(world, bundle, 'PROVENANCE_REQUIRED', /not accepted \(the provenance is signed by key "approver", which the policy allows only approve, not release\)/, { policy, env: 'production' });
  });
});

describe('T1.23-T1.24 refused whatever the environment requires', () => {
  it('provenance from another bundle swapped in (mix-and-match)', async () => {
    const other = await packGithub({}, '43');
    const bundle = await withAttestations(good, [...(await decodeBundle(other)).attestations.values()]);
    await expectRefused(world, bundle, 'SIGNATURE_SUBJECT_MISMATCH', /attestations\/[0-9a-f]{32}\.sigstore\.json by key "release" is for another manifest/, { policy });
  });

  it('provenance contradicting the manifest (another builder, validly signed by the release key)', async () => {
    const bundle = await withAttestations(good, [await provenanceFor(good, world.release.signer, (m) => (m.builder.id = 'https://ci.evil.example/build'))]);
    await expectRefused(world, bundle, 'PROVENANCE_INVALID', /names builder "https:\/\/ci\.evil\.example\/build", but the signed manifest says "https:\/\/github\.com\/acme\/shop\/\.github\/workflows\/release\.yml@refs\/heads\/main"\./, { policy });
  });

  it('provenance contradicting the manifest (another source commit)', async () => {
    const bundle = await withAttestations(good, [await provenanceFor(good, world.release.signer, (m) => (m.source.commit = 'd'.repeat(40)))]);
    await expectRefused(world, bundle, 'PROVENANCE_INVALID', /names source commit "d{40}", but the signed manifest says "c{40}"/, { policy, env: 'production' });
  });

  it('provenance contradicting the manifest (a dirty working tree the manifest does not record)', async () => {
    const dirty = await withAttestations(good, [await provenanceFor(good, world.release.signer, (m) => (m.source.dirty = true))]);
    await expectRefused(world, dirty, 'PROVENANCE_INVALID', /names a dirty working tree "yes", but the signed manifest says "no"/, { policy, env: 'production' });
  });

  it('a dirty working tree is carried into the provenance and verifies', async () => {
    const c = await decodeBundle(good);
    const manifest = parseManifest(c.manifestBytes);
    expect(JSON.parse(Buffer.from(JSON.parse([...c.attestations.values()][0]!.toString('utf8')).dsseEnvelope.payload, 'base64').toString('utf8')).predicate.buildDefinition.externalParameters.source).not.toHaveProperty('dirty');
    manifest.source.dirty = true;
    const statement = buildProvenance('0'.repeat(64), manifest, {});
    expect(statement.predicate.buildDefinition.externalParameters.source).toMatchObject({ dirty: true });
  });

  it('provenance payload altered after signing (builder rewritten, signature kept)', async () => {
    const [entry, bytes] = [...(await decodeBundle(good)).attestations][0]!;
    const doc = JSON.parse(bytes.toString('utf8'));
    const statement = JSON.parse(Buffer.from(doc.dsseEnvelope.payload, 'base64').toString('utf8'));
    statement.predicate.runDetails.builder.id = 'https://ci.evil.example/build';
    doc.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    expect(entry).toMatch(/^attestations\//);
    const bundle = await withAttestations(good, [Buffer.from(JSON.stringify(doc))]);
    await expectRefused(world, bundle, 'SIGNATURE_INVALID', /attestations\/[0-9a-f]{32}\.sigstore\.json by key "release" does not verify/, { policy });
  });

  it('a signed statement that is not a migseal provenance (an unknown field)', async () => {
    const c = await decodeBundle(good);
    const statement = buildProvenance(sha256Hex(c.manifestBytes), parseManifest(c.manifestBytes), {}) as unknown as Record<string, any>;
    statement.predicate.runDetails.byproducts = [{ uri: 'evil' }];
    const bundle = await withAttestations(good, [await signStatement(statement, world.release.signer)]);
    await expectRefused(world, bundle, 'PROVENANCE_INVALID', /not a migseal SLSA provenance: \$\.predicate\.runDetails\.byproducts is not a known field/, { policy });
  });

  it('a second provenance added beside the first', async () => {
    const bundle = await withAttestations(good, [...(await decodeBundle(good)).attestations.values(), await provenanceFor(good, world.release.signer, (m) => (m.builder.id = 'x'))]);
    await expectRefused(world, bundle, 'PROVENANCE_INVALID', /carries 2 attestations; a bundle has exactly one build provenance/, { policy });
  });

  it('an attestation outside attestations/*.sigstore.json', async () => {
    const c = await decodeBundle(good);
    const [, data] = [...c.attestations][0]!;
    const entries = [
      { name: 'manifest.json', data: c.manifestBytes },
      ...[...c.files].map(([p, d]) => ({ name: `files/${p}`, data: d })),
      ...[...c.signatures].map(([name, d]) => ({ name, data: d })),
      { name: 'attestations/nested/a.sigstore.json', data },
    ];
    await expectRefused(world, gzip(rawTar(entries)), 'FILE_SET_MISMATCH', /unexpected entry "attestations\/nested\/a\.sigstore\.json"/, { policy });
  });
});

describe('policy', () => {
  it('refuses unknown fields, both exact and pattern, and a broken pattern; trust check lists them', async () => {
    const bad = policyWith(world, {
      keys: [{ key: world.release, roles: ['release'] }],
      environments: { default: { release: 1, provenance: { builder: BUILDER, sourceRepository: REPOSITORY, sourceRepositoryPattern: 'x', builderIdPattern: '(' } } },
    });
    const verify = await runCli(['verify', '/dev/null', '--trust', bad, '--json']);
    expect(verify.code).toBe(2);
    expect(JSON.parse(verify.stdout)).toMatchObject({ code: 'POLICY_INVALID' });
    const check = await runCli(['trust', 'check', bad, '--json']);
    expect(check.code).toBe(2);
    const text = check.stdout;
    expect(text).toContain('$.environments.default.provenance.builder is not a known field');
    expect(text).toContain('may have sourceRepository (exact) or sourceRepositoryPattern (anchored regular expression), not both');
    expect(text).toContain('$.environments.default.provenance.builderIdPattern is not a valid regular expression');
  });
});
