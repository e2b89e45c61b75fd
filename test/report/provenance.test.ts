/**
 * The audit report's Provenance section through the real CLI: the signed SLSA provenance of
 * a release packed in GitHub Actions, verified against a policy whose production
 * environment requires it, or only claimed; a bundle without one; a provenance that
 * disagrees with its manifest; and hostile text in a validly signed provenance.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { encodeBundle } from '../../src/format/bundle-encode.js';
import { sha256Hex } from '../../src/format/digest.js';
import { parseManifest, serializeManifest } from '../../src/format/manifest.js';
import { signManifest } from '../../src/signing/sign-manifest.js';
import { packBundle, removeDir, writeMigrations } from '../helpers/fixtures.js';
import { COMMIT, RELEASE_1, REPOSITORY, WORKFLOW, makeAuditWorld, type AuditWorld } from './world.js';

let world: AuditWorld;
let n = 0;
const out = (ext: string) => join(world.dir, `provenance-${++n}.${ext}`);
const json = (stdout: string) => JSON.parse(stdout) as Record<string, any>;
const RUN = 'https://github.com/acme/shop/actions/runs/9120443187/attempts/1';

beforeAll(async () => {
  world = await makeAuditWorld();
}, 120_000);
afterAll(() => removeDir(world.dir));

describe('the audit report shows the signed build provenance', () => {
  it('verified, with builder, source and run, signed by the policy release signer, and the production requirement met', async () => {
    const html = out('html');
    const result = await world.audit([world.release2, '--trust', world.provenancePolicy, '--env', 'production', '--html', html, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const p = json(result.stdout).provenance;
    expect(p.trust).toBe('verified');
    expect(p.statements).toEqual([
      {
        trust: 'verified',
        entry: expect.stringMatching(/^attestations\/[0-9a-f]{32}\.sigstore\.json$/),
        buildType: 'https://migseal.dev/pack/v1',
        builderId: WORKFLOW,
        sourceRepository: REPOSITORY,
        sourceRef: 'refs/heads/main',
        sourceCommit: COMMIT,
        invocationId: RUN,
        signer: { policyId: 'release', keyId: world.release.keyId },
      },
    ]);
    expect(p.requirement).toEqual({ environment: 'production', required: true, builderId: WORKFLOW, sourceRepository: REPOSITORY, status: 'met' });
    expect(p.disagreements).toEqual([]);
    expect(p.source).toEqual({ repository: REPOSITORY, commit: COMMIT });

    const page = readFileSync(html, 'utf8');
    expect(page).toContain(`<dt>Required</dt><dd>environment "production" requires a verified build provenance from builder <code>${WORKFLOW}</code> and source repository <code>${REPOSITORY}</code> <span class="badge ok">met</span></dd>`);
    expect(page).toContain('<dt>Status</dt><dd><span class="badge ok">verified</span>');
    expect(page).toContain(`<dt>Commit</dt><dd><code>${COMMIT}</code></dd>`);
    expect(page).toContain(`<dt>Run</dt><dd>${RUN}</dd>`);
    expect(page).toMatch(/<dt>Signed by<\/dt><dd><strong>release<\/strong> key <code class="digest"/);
    expect(page).toContain('<div class="label">Provenance</div><div class="value ok">verified ✓</div><div class="sub">required: met</div>');

    const text = await world.audit([world.release2, '--trust', world.provenancePolicy, '--env', 'production']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^ {2}provenance {3}verified, signed by release, key [0-9a-f]{16}…$/m);
    expect(text.stdout).toContain(`    builder    ${WORKFLOW}\n    source     ${REPOSITORY} refs/heads/main ${COMMIT}\n    run        ${RUN}`);
    expect(text.stdout).toContain(`  required     "production": a verified provenance from builder ${WORKFLOW}, repository ${REPOSITORY}: met`);
  });

  it('says when the environment does not require one', async () => {
    const html = out('html');
    const result = await world.audit([world.release2, '--trust', world.provenancePolicy, '--html', html, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(json(result.stdout).provenance.requirement).toEqual({ environment: 'default', required: false });
    expect(readFileSync(html, 'utf8')).toContain('Environment "default" does not require a build provenance.');
  });

  it('claimed without --trust: the same claims, no policy signer, no requirement', async () => {
    const html = out('html');
    const result = await world.audit([world.release2, '--html', html, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const p = json(result.stdout).provenance;
    expect(p.statements).toEqual([
      expect.objectContaining({ trust: 'claimed', builderId: WORKFLOW, sourceRepository: REPOSITORY, sourceCommit: COMMIT, invocationId: RUN, signer: { keyId: world.release.keyId } }),
    ]);
    expect(p.requirement).toBeUndefined();
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<dt>Status</dt><dd><span class="badge warn">claimed</span> not checked against a trust policy</dd>');
    expect(page).not.toContain('<dt>Status</dt><dd><span class="badge ok">verified</span>');
    expect((await world.audit([world.release2])).stdout).toMatch(/^ {2}provenance {3}claimed, signed by key [0-9a-f]{16}…$/m);
  });

  it('refused for the requirement: not met, and the claimed provenance shown', async () => {
    // Release 1 was packed locally: builder "local", no repository.
    const html = out('html');
    const result = await world.audit([world.release1, '--trust', world.provenancePolicy, '--env', 'production', '--html', html, '--json']);
    expect(result.code).toBe(2);
    const facts = json(result.stdout);
    expect(facts.verification).toMatchObject({ outcome: 'refused', code: 'PROVENANCE_REQUIRED' });
    expect(facts.provenance.requirement).toMatchObject({ required: true, status: 'not-met' });
    expect(facts.provenance.statements).toEqual([expect.objectContaining({ trust: 'claimed', builderId: 'local' })]);
    expect(readFileSync(html, 'utf8')).toContain('<span class="badge bad">not met</span>');
    expect((await world.audit([world.release1, '--trust', world.provenancePolicy, '--env', 'production'])).stdout).toContain(': NOT MET');
  });

  it('says plainly when a bundle has no signed build provenance (packed without a release signer)', async () => {
    const dir = writeMigrations(join(world.dir, 'src-approve-only'), RELEASE_1);
    const path = out('migseal');
    writeFileSync(path, await packBundle({ dir, release: '5', dialect: 'sqlite', signers: [{ signer: world.approver.signer, role: 'approve' }] }));
    const html = out('html');
    const result = await world.audit([path, '--html', html, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(json(result.stdout).provenance).toMatchObject({ statements: [], setAside: [], disagreements: [] });
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<strong>No signed build provenance</strong>: the bundle carries none.');
    expect(page).toContain('<div class="label">Provenance</div><div class="value warn">none</div>');
    expect((await world.audit([path])).stdout).toMatch(/^ {2}provenance {3}no signed build provenance$/m);
  });

  it('flags a claimed provenance that names another builder than the manifest', async () => {
    // The manifest re-signed with another builder; the original provenance kept beside it.
    const contents = await decodeBundle(readFileSync(world.release2));
    const manifest = parseManifest(contents.manifestBytes);
    manifest.builder.id = 'https://ci.evil.example/build';
    const bytes = serializeManifest(manifest);
    const digest = sha256Hex(bytes);
    const signatures = [await signManifest(digest, { role: 'release', project: 'shop', release: '2' }, world.release.signer)];
    const path = out('migseal');
    writeFileSync(path, encodeBundle({ manifestBytes: bytes, files: contents.files, signatures, attestations: contents.attestations.values() }));

    const html = out('html');
    const result = await world.audit([path, '--html', html, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const p = json(result.stdout).provenance;
    expect(p.statements).toEqual([expect.objectContaining({ trust: 'claimed', builderId: WORKFLOW, problem: 'about another manifest' })]);
    expect(p.disagreements).toEqual([{ field: 'builder', provenance: WORKFLOW, manifest: 'https://ci.evil.example/build' }]);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<dt>Builder</dt><dd><code>https://ci.evil.example/build</code> <span class="badge bad">differs from the provenance</span></dd>');
    expect(page).toContain('<span class="badge bad">about another manifest</span>');
    expect((await world.audit([path])).stdout).toContain(`  DIFFERS      the provenance names builder ${WORKFLOW}, the manifest https://ci.evil.example/build`);
    // verify never lets that through.
    expect((await world.audit([path, '--trust', world.policy, '--json'])).code).toBe(2);
  });

  it('escapes hostile text in a validly signed provenance', async () => {
    const dir = writeMigrations(join(world.dir, 'src-hostile-provenance'), RELEASE_1);
    const builder = '<script>alert(5)</script>';
    const invocation = '"><img src=x onerror=alert(6)>';
    const bytes = await packBundle({
      dir,
      release: '6',
      dialect: 'sqlite',
      source: { builder, invocation, repository: 'https://x.example/</dd><iframe>', ref: "refs/heads/'onmouseover=alert(7)" },
      signers: [
        { signer: world.release.signer, role: 'release' },
        { signer: world.approver.signer, role: 'approve' },
      ],
    });
    const path = out('migseal');
    writeFileSync(path, bytes);
    const html = out('html');
    const result = await world.audit([path, '--trust', world.policy, '--html', html, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(json(result.stdout).provenance.statements[0]).toMatchObject({ trust: 'verified', builderId: builder, invocationId: invocation });
    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<script|<img|<iframe|'onmouseover/i);
    expect(page).toContain('<dt>Builder</dt><dd><code>&lt;script&gt;alert(5)&lt;/script&gt;</code></dd>');
    expect(page).toContain('<dt>Run</dt><dd>&quot;&gt;&lt;img src=x onerror=alert(6)&gt;</dd>');
    expect(page).toContain('https://x.example/&lt;/dd&gt;&lt;iframe&gt;');
    expect(page).toContain('&#39;onmouseover=alert(7)');
    expect(page.split('<dd').length).toBe(page.split('</dd>').length);
  });
});
