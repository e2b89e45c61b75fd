/**
 * What a certificate signature claims, read without trusting it: the leaf's SAN (URI or
 * email) and Fulcio issuer, shown by inspect, diff and the audit claimed view. Certificates
 * are made by `migseal ca init` / `ca issue` and bundles packed with `pack --key --cert`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLeaf } from '../../src/ca/certificates.js';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { sha256Hex } from '../../src/format/digest.js';
import { describeSignature } from '../../src/inspect/index.js';
import { CertificateSigner } from '../../src/signing/certificate-signer.js';
import { loadPrivateKey } from '../../src/signing/keys.js';
import { jsonOf, runCli } from '../helpers/cli.js';
import { packBundle } from '../helpers/fixtures.js';
import { makeWorld, type World } from '../helpers/verify-world.js';

const IDENTITY = 'https://ci.example.com/shop/release@refs/heads/main';
const ISSUER = 'https://ci.example.com';

let world: World;
let certBundle: string;
let keyBundle: string;

beforeAll(async () => {
  world = await makeWorld();
  const caDir = join(world.dir, 'keys', 'ca');
  expect((await runCli(['ca', 'init', '--out', caDir])).code).toBe(0);
  const issued = await runCli(['ca', 'issue', '--ca', caDir, '--identity', IDENTITY, '--issuer', ISSUER, '--days', '30', '--out', join(world.dir, 'ci', 'release')]);
  expect(issued.code, issued.stderr).toBe(0);
  certBundle = join(world.dir, 'cert.migseal');
  const packed = await runCli(['pack', world.migrations, '--project', 'shop', '--release', '42', '--out', certBundle, '--key', join(world.dir, 'ci', 'release.key'), '--cert', join(world.dir, 'ci', 'release.crt')]);
  expect(packed.code, packed.stderr).toBe(0);
  keyBundle = join(world.dir, 'key.migseal');
  writeFileSync(keyBundle, world.bundle);
}, 120_000);
afterAll(() => world?.cleanup());

describe('a claimed certificate signer', () => {
  it('inspect names the SAN identity and the Fulcio issuer, marked claimed, for the signature and the provenance', async () => {
    const text = await runCli(['inspect', certBundle]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`    release by certificate ${IDENTITY} (issuer ${ISSUER}), claimed\n`);
    expect(text.stdout).toContain(`    signed by  certificate ${IDENTITY} (issuer ${ISSUER}), claimed\n`);
    const json = jsonOf(await runCli(['inspect', certBundle, '--json'])) as Record<string, any>;
    expect(json.signatures).toEqual([expect.objectContaining({ role: 'release', certificate: { identity: IDENTITY, issuer: ISSUER } })]);
    expect(json.provenance).toEqual([expect.objectContaining({ certificate: { identity: IDENTITY, issuer: ISSUER } })]);
    expect(json.signatures[0].keyId).toBeUndefined();
  });

  it('names an email identity too', async () => {
    const ca = { certificatePem: readFileSync(join(world.dir, 'keys', 'ca', 'ca.crt'), 'utf8'), privateKeyPem: readFileSync(join(world.dir, 'keys', 'ca', 'ca.key'), 'utf8') };
    const mail = issueLeaf(ca, { identity: 'alice@example.com', issuer: 'https://accounts.example.com', days: 1, bits: 2048 });
    const signer = new CertificateSigner(loadPrivateKey(mail.privateKeyPem, 'alice.key'), mail.certificatePem);
    const path = join(world.dir, 'mail.migseal');
    writeFileSync(path, await packBundle({ dir: world.migrations, signers: [{ signer, role: 'release' }] }));
    expect((await runCli(['inspect', path])).stdout).toContain('    release by certificate alice@example.com (issuer https://accounts.example.com), claimed\n');
  });

  it('a certificate that does not parse is just "certificate", never an error', async () => {
    const contents = await decodeBundle(readFileSync(certBundle));
    const [entry, bytes] = [...contents.signatures][0]!;
    const doc = JSON.parse(bytes.toString('utf8'));
    const material = doc.verificationMaterial;
    const holder = material.certificate ?? material.x509CertificateChain.certificates[0];
    holder.rawBytes = Buffer.from('not DER at all').toString('base64');
    const claim = describeSignature(entry, Buffer.from(JSON.stringify(doc)), sha256Hex(contents.manifestBytes));
    expect(claim).toEqual({ entry, role: 'release', certificate: {} });
  });

  it('the audit claimed view shows the identity and issuer for the signer and the provenance', async () => {
    const html = join(world.dir, 'cert.html');
    const result = await runCli(['audit', certBundle, '--html', html, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const facts = jsonOf(result) as Record<string, any>;
    expect(facts.signatures.signers).toEqual([expect.objectContaining({ role: 'release', identity: { identity: IDENTITY, issuer: ISSUER } })]);
    expect(facts.provenance.statements).toEqual([expect.objectContaining({ trust: 'claimed', signer: { identity: { identity: IDENTITY, issuer: ISSUER } } })]);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain(`<td>${IDENTITY}</td>\n<td>${ISSUER}</td>`);
    expect(page).toContain(`<dt>Signed by</dt><dd>${IDENTITY} <span class="muted">issuer</span> ${ISSUER}</dd>`);
    expect((await runCli(['audit', certBundle])).stdout).toContain(`  signed by    (release) ${IDENTITY}, issuer ${ISSUER}`);
  });

  it('diff tells a key signer from a certificate identity', async () => {
    const result = await runCli(['diff', keyBundle, certBundle]);
    expect(result.stdout).toContain(`  + release by certificate: ${IDENTITY}, issuer ${ISSUER}`);
    expect(result.stdout).toMatch(/^ {2}- release by key [0-9a-f]{16}…$/m);
  });
});
