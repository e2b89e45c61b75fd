/**
 * pack records how a release was built as a signed SLSA provenance v1, from GitHub Actions'
 * and GitLab CI's standard variables or from flags; inspect shows it; verify reports it;
 * co-signing keeps it; and the same inputs (environment included) still give the same bytes.
 * Everything runs through the real CLI with real keys and real archive bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { sha256Hex } from '../../src/format/digest.js';
import { jsonOf, runCli } from '../helpers/cli.js';
import { makeWorld, type World } from '../helpers/verify-world.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const GITHUB = {
  GITHUB_ACTIONS: 'true',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_RUN_ID: '7001',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_WORKFLOW_REF: 'acme/shop/.github/workflows/release.yml@refs/heads/main',
  GITHUB_SHA: COMMIT,
  GITHUB_REF: 'refs/heads/main',
  GITHUB_EVENT_NAME: 'push',
  SOURCE_DATE_EPOCH: '1700000000',
};
const GITLAB = {
  GITLAB_CI: 'true',
  CI_SERVER_URL: 'https://gitlab.example.com',
  CI_PROJECT_URL: 'https://gitlab.example.com/acme/shop',
  CI_PROJECT_PATH: 'acme/shop',
  CI_PIPELINE_ID: '555',
  CI_JOB_ID: '9090',
  CI_JOB_URL: 'https://gitlab.example.com/acme/shop/-/jobs/9090',
  CI_COMMIT_SHA: COMMIT,
  CI_COMMIT_REF_NAME: 'main',
  CI_PIPELINE_SOURCE: 'push',
};

let world: World;
let count = 0;
beforeAll(async () => {
  world = await makeWorld();
});
afterAll(() => world?.cleanup());

async function cliPack(env: Record<string, string>, extra: string[] = [], key = world.release.privatePath): Promise<{ path: string; bytes: Buffer; json: Record<string, unknown> }> {
  const path = join(world.dir, `pack-${++count}.migseal`);
  const result = await runCli(['pack', world.migrations, '--project', 'shop', '--release', '42', '--key', key, '--out', path, '--json', ...extra], { env });
  expect(result.code, result.stderr + result.stdout).toBe(0);
  return { path, bytes: readFileSync(path), json: jsonOf(result) };
}

/** The one provenance statement in a bundle, read straight from the archive's bytes. */
async function provenanceOf(bytes: Buffer): Promise<{ entry: string; statement: Record<string, any>; manifestDigest: string }> {
  const contents = await decodeBundle(bytes);
  expect(contents.attestations.size).toBe(1);
  const [entry, data] = [...contents.attestations][0]!;
  const doc = JSON.parse(data.toString('utf8'));
  expect(doc.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
  expect(doc.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
  return { entry, statement: JSON.parse(Buffer.from(doc.dsseEnvelope.payload, 'base64').toString('utf8')), manifestDigest: sha256Hex(contents.manifestBytes) };
}

describe('pack records SLSA provenance v1', () => {
  it('from GitHub Actions variables: builder, invocation, source repository, ref and commit', async () => {
    const { bytes, json } = await cliPack(GITHUB);
    const { entry, statement, manifestDigest } = await provenanceOf(bytes);
    expect(entry).toMatch(/^attestations\/[0-9a-f]{32}\.sigstore\.json$/);
    expect(statement).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'manifest.json', digest: { sha256: manifestDigest } }],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: {
        buildDefinition: {
          buildType: 'https://migseal.dev/pack/v1',
          externalParameters: { project: 'shop', release: '42', layout: 'golang-migrate', dialect: 'any', source: { repository: 'https://github.com/acme/shop', ref: 'refs/heads/main' } },
          internalParameters: { ci: 'github-actions', event: 'push' },
          resolvedDependencies: [{ uri: 'git+https://github.com/acme/shop@refs/heads/main', digest: { gitCommit: COMMIT } }],
        },
        runDetails: {
          builder: { id: 'https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main' },
          metadata: { invocationId: 'https://github.com/acme/shop/actions/runs/7001/attempts/2' },
        },
      },
    });
    expect(json.digest).toBe(manifestDigest);
    expect(json.provenance).toMatchObject({ builderId: 'https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main', invocationId: 'https://github.com/acme/shop/actions/runs/7001/attempts/2' });
  });

  it('from GitLab CI variables: the job URL as invocation, the branch as ref', async () => {
    const { bytes } = await cliPack(GITLAB);
    const { statement } = await provenanceOf(bytes);
    expect(statement.predicate.runDetails).toEqual({
      builder: { id: 'https://gitlab.example.com/acme/shop/-/pipelines' },
      metadata: { invocationId: 'https://gitlab.example.com/acme/shop/-/jobs/9090' },
    });
    expect(statement.predicate.buildDefinition.resolvedDependencies).toEqual([{ uri: 'git+https://gitlab.example.com/acme/shop@refs/heads/main', digest: { gitCommit: COMMIT } }]);
    expect(statement.predicate.buildDefinition.internalParameters).toEqual({ ci: 'gitlab-ci', event: 'push' });
  });

  it('from flags, which win over the CI variables', async () => {
    const flags = ['--builder', 'https://ci.example.com/shop/release', '--source-repo', 'https://git.example.com/shop', '--source-commit', 'b'.repeat(40), '--source-ref', 'refs/tags/v42', '--invocation', 'run-314'];
    const { bytes } = await cliPack(GITHUB, flags);
    const { statement } = await provenanceOf(bytes);
    expect(statement.predicate.runDetails).toEqual({ builder: { id: 'https://ci.example.com/shop/release' }, metadata: { invocationId: 'run-314' } });
    expect(statement.predicate.buildDefinition.resolvedDependencies).toEqual([{ uri: 'git+https://git.example.com/shop@refs/tags/v42', digest: { gitCommit: 'b'.repeat(40) } }]);
    const manifest = JSON.parse((await decodeBundle(bytes)).manifestBytes.toString('utf8'));
    expect(manifest.builder.id).toBe('https://ci.example.com/shop/release');
    expect(manifest.source).toMatchObject({ repository: 'https://git.example.com/shop', commit: 'b'.repeat(40) });
  });

  it('without a release signature there is no provenance (nothing vouches for it)', async () => {
    const path = join(world.dir, 'unsigned.migseal');
    const result = await runCli(['pack', world.migrations, '--project', 'shop', '--release', '42', '--out', path], { env: GITHUB });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/provenance {2}none/);
    expect((await decodeBundle(readFileSync(path))).attestations.size).toBe(0);
  });

  it('the same inputs and environment give byte-identical bundles; another run id gives another provenance only', async () => {
    const a = await cliPack(GITHUB);
    const b = await cliPack(GITHUB);
    expect(a.bytes.equals(b.bytes)).toBe(true);
    const c = await cliPack({ ...GITHUB, GITHUB_RUN_ID: '7002' });
    expect(c.bytes.equals(a.bytes)).toBe(false);
    const [ca, cc] = [await decodeBundle(a.bytes), await decodeBundle(c.bytes)];
    expect(cc.manifestBytes.equals(ca.manifestBytes)).toBe(true);
    expect([...cc.signatures.keys()]).toEqual([...ca.signatures.keys()]);
    expect([...cc.attestations.keys()]).not.toEqual([...ca.attestations.keys()]);
  });
});

describe('inspect and verify show it', () => {
  it('inspect shows the claimed builder, source, commit, invocation and build type', async () => {
    const { path } = await cliPack(GITHUB);
    const text = await runCli(['inspect', path]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('    builder    https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main');
    expect(text.stdout).toContain(`    source     https://github.com/acme/shop refs/heads/main ${COMMIT}`);
    expect(text.stdout).toContain('    invocation https://github.com/acme/shop/actions/runs/7001/attempts/2');
    expect(text.stdout).toContain('    build type https://migseal.dev/pack/v1');
    const json = jsonOf(await runCli(['inspect', path, '--json']));
    expect(json.verified).toBe(false);
    expect(json.provenance).toEqual([
      expect.objectContaining({ builderId: 'https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main', sourceCommit: COMMIT, keyId: world.release.keyId }),
    ]);
  });

  it('verify reports the verified provenance and who signed it, in text and JSON', async () => {
    const { path } = await cliPack(GITHUB);
    const text = await runCli(['verify', path, '--trust', world.policy]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('  provenance  SLSA v1 signed by release: builder https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main');
    const json = jsonOf(await runCli(['verify', path, '--trust', world.policy, '--json']));
    expect(json.provenance).toEqual({
      builderId: 'https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main',
      buildType: 'https://migseal.dev/pack/v1',
      sourceRepository: 'https://github.com/acme/shop',
      sourceCommit: COMMIT,
      sourceRef: 'refs/heads/main',
      invocationId: 'https://github.com/acme/shop/actions/runs/7001/attempts/2',
      signer: 'release',
      keyId: world.release.keyId,
    });
  });
});

describe('co-signing', () => {
  it('migseal sign adds an approval and keeps the one provenance, unchanged', async () => {
    const { path, bytes } = await cliPack(GITHUB);
    const before = await decodeBundle(bytes);
    for (const _ of [1, 2]) {
      const signed = await runCli(['sign', path, '--key', world.approver.privatePath, '--role', 'approve']);
      expect(signed.code, signed.stderr).toBe(0);
    }
    const after = await decodeBundle(readFileSync(path));
    expect(after.signatures.size).toBe(2);
    expect([...after.attestations]).toEqual([...before.attestations]);
    const json = jsonOf(await runCli(['verify', path, '--trust', world.policy, '--env', 'production', '--json']));
    expect(json).toMatchObject({ ok: true, provenance: { signer: 'release' } });
  });
});
