/**
 * The Sigstore conformance suite's bundle-verify cases, run through the suite's own client
 * protocol (scripts/sigstore-conformance.mjs verify-bundle ...) with the arguments its harness
 * builds from each case folder. The script verifies with migseal's own bundle reader and
 * verifier (from dist/, as built); each `_fail` case must be refused with the migseal error code
 * listed here, each other case must verify. The cases run in this process through the script's
 * command function; a few run as real processes to check exit codes and output.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { runNode } from '../helpers/cli.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/sigstore-conformance.mjs', import.meta.url));
const SUITE = join(import.meta.dirname, '../../../shared/fixtures/sigstore-conformance/bundle-verify');
const IDENTITY = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

/** Why each failing case is refused: the code migseal gives, and for some the reason. */
const REFUSALS: Record<string, { code: string; message?: RegExp }> = {
  'bundle-empty-certificate-chain_fail': { code: 'SIGNATURE_MALFORMED' },
  'bundle-from-wrong-instance_fail': { code: 'SIGNER_UNKNOWN' },
  'bundle-invalid-base64-signature_fail': { code: 'SIGNATURE_MALFORMED', message: /messageSignature\.signature is not base64/ },
  'bundle-malformed-json_fail': { code: 'SIGNATURE_MALFORMED' },
  'bundle-negative-log-index_fail': { code: 'SIGNATURE_MALFORMED', message: /logIndex is not a non-negative integer/ },
  'bundle-unknown-version_fail': { code: 'SIGNATURE_MALFORMED' },
  'bundle-with-root-cert_fail': { code: 'SIGNATURE_MALFORMED', message: /self-signed root certificate/ },
  'checkpoint-bad-keyhint_fail': { code: 'SIGNATURE_INVALID', message: /TLOG_INCLUSION_PROOF_ERROR/ },
  'checkpoint-wrong-roothash_fail': { code: 'SIGNATURE_INVALID', message: /TLOG_INCLUSION_PROOF_ERROR/ },
  'dsse-invalid-sig_fail': { code: 'SIGNATURE_INVALID' },
  'dsse-mismatch-envelope_fail': { code: 'SIGNATURE_INVALID' },
  'dsse-mismatch-sig_fail': { code: 'SIGNATURE_INVALID' },
  'inclusion-proof-corrupted-hash_fail': { code: 'SIGNATURE_INVALID', message: /TLOG_INCLUSION_PROOF_ERROR/ },
  'incorrect-public-key_fail': { code: 'SIGNATURE_INVALID' },
  'integrated-time-in-future_fail': { code: 'SIGNER_UNKNOWN' },
  'intoto-expired-certificate_fail': { code: 'SIGNER_UNKNOWN' },
  'intoto-log-entry-mismatch_fail': { code: 'SIGNATURE_INVALID', message: /TLOG_BODY_ERROR/ },
  'intoto-missing-inclusion-proof_fail': { code: 'SIGNATURE_MALFORMED' },
  'intoto-set-outside-signing-cert-validity_fail': { code: 'SIGNER_UNKNOWN' },
  'intoto-tsa-timestamp-outside-cert-validity_fail': { code: 'SIGNER_UNKNOWN' },
  'invalid-checkpoint-signature_fail': { code: 'SIGNATURE_INVALID', message: /TLOG_INCLUSION_PROOF_ERROR/ },
  'invalid-ct-key_fail': { code: 'SIGNER_UNKNOWN', message: /SCT/ },
  'invalid-inclusion-proof_fail': { code: 'SIGNATURE_MALFORMED' },
  'managed-key-no-key_fail': { code: 'SIGNER_UNKNOWN', message: /made with a key, not a certificate/ },
  'managed-key-wrong-key_fail': { code: 'KEY_INVALID' },
  'message-digest-mismatch_fail': { code: 'SIGNATURE_INVALID', message: /TLOG_BODY_ERROR/ },
  'rekor2-checkpoint-missing-log-signature_fail': { code: 'SIGNATURE_INVALID', message: /TLOG_INCLUSION_PROOF_ERROR/ },
  'rekor2-checkpoint-missing-origin_fail': { code: 'SIGNATURE_INVALID', message: /TLOG_INCLUSION_PROOF_ERROR/ },
  'rekor2-checkpoint-missing-root-hash_fail': { code: 'SIGNATURE_INVALID', message: /TLOG_INCLUSION_PROOF_ERROR/ },
  'rekor2-checkpoint-missing-size_fail': { code: 'SIGNATURE_INVALID', message: /TLOG_INCLUSION_PROOF_ERROR/ },
  'rekor2-checkpoint-no-matching-signature_fail': { code: 'SIGNATURE_INVALID', message: /TLOG_INCLUSION_PROOF_ERROR/ },
  'rekor2-dsse-invalid-sig_fail': { code: 'SIGNATURE_INVALID' },
  'rekor2-dsse-mismatch-envelope_fail': { code: 'SIGNATURE_INVALID' },
  'rekor2-dsse-mismatch-sig_fail': { code: 'SIGNATURE_INVALID' },
  'rekor2-no-inclusion-proof_fail': { code: 'SIGNATURE_MALFORMED' },
  'rekor2-no-timestamp_fail': { code: 'SIGNATURE_INVALID', message: /timestamp/ },
  'rekor2-timestamp-outside-trust-root-tsa-validity_fail': { code: 'SIGNATURE_INVALID', message: /timestamp/ },
  'rekor2-timestamp-outside-tsa-cert-validity_fail': { code: 'SIGNATURE_INVALID', message: /timestamp/ },
  'rekor2-timestamp-payload-mismatch_fail': { code: 'SIGNATURE_INVALID', message: /timestamp/ },
  'rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail': { code: 'SIGNATURE_INVALID', message: /timestamp/ },
  'rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail': { code: 'SIGNATURE_INVALID', message: /timestamp/ },
  'rekor2-timestamp-with-incorrect-time_fail': { code: 'SIGNER_UNKNOWN' },
  'set-invalid-signature_fail': { code: 'SIGNATURE_INVALID', message: /TLOG_INCLUSION_PROMISE_ERROR/ },
  'signature-mismatch_fail': { code: 'SIGNATURE_INVALID' },
  'trust-root-tlog-missing-validity-start_fail': { code: 'POLICY_INVALID', message: /tlogs\[1\] has no start of validity/ },
  'wrong-hashedrekord-artifact_fail': { code: 'SIGNATURE_INVALID' },
  'wrong-hashedrekord-cert-and-sig_fail': { code: 'SIGNATURE_INVALID' },
  'wrong-hashedrekord-entry_fail': { code: 'SIGNATURE_INVALID' },
  'wrong-material_fail': { code: 'SIGNATURE_INVALID', message: /SIGNATURE_ERROR/ },
};

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

const { verifyBundleCommand } = (await import(SCRIPT)) as { verifyBundleCommand: (argv: string[]) => { exitCode: number; stdout: string; stderr: string } };

function runScript(args: string[]): Promise<Outcome> {
  const { exitCode, stdout, stderr } = verifyBundleCommand(args);
  return Promise.resolve({ code: exitCode, stdout, stderr });
}

function spawnScript(args: string[]): Promise<Outcome> {
  return runNode([SCRIPT, ...args], { env: { PATH: process.env.PATH } });
}

/** The arguments the suite's harness passes for one case folder (its test/client.py). */
function argsFor(dir: string, artifact: string = artifactOf(dir)): string[] {
  const args = ['verify-bundle', '--bundle', join(dir, 'bundle.sigstore.json')];
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8').trim() : undefined);
  if (existsSync(join(dir, 'key.pub'))) args.push('--key', join(dir, 'key.pub'));
  else args.push('--certificate-identity', read('identity') ?? IDENTITY, '--certificate-oidc-issuer', read('issuer') ?? ISSUER);
  if (existsSync(join(dir, 'trusted_root.json'))) args.push('--trusted-root', join(dir, 'trusted_root.json'));
  return [...args, artifact];
}

const artifactOf = (dir: string) => (existsSync(join(dir, 'artifact')) ? join(dir, 'artifact') : join(SUITE, 'a.txt'));
const digestOf = (path: string) => `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
const isDsse = (dir: string) => 'dsseEnvelope' in JSON.parse(readFileSync(join(dir, 'bundle.sigstore.json'), 'utf8'));
const errorCodeOf = (stderr: string) => /^verify-bundle: ([A-Z_]+): /.exec(stderr)?.[1];

const CASES = readdirSync(SUITE)
  .filter((name) => existsSync(join(SUITE, name, 'bundle.sigstore.json')))
  .sort();
const outcomes = new Map<string, Outcome>();

async function runAll(): Promise<void> {
  for (const name of CASES) outcomes.set(name, await runScript(argsFor(join(SUITE, name))));
}

describe('Sigstore conformance suite, bundle-verify cases', () => {
  beforeAll(runAll, 180_000);

  // The copy's README counts 71 cases; it holds 70 case folders (21 that verify, 49 that fail).
  it('has every case folder of the copied suite, 49 of them failing, each listed here', () => {
    expect(CASES).toHaveLength(70);
    const failing = CASES.filter((name) => name.endsWith('_fail'));
    expect(failing).toHaveLength(49);
    expect(Object.keys(REFUSALS).sort()).toEqual(failing);
  });

  it.each(CASES.filter((name) => !name.endsWith('_fail')))('%s verifies', (name) => {
    const outcome = outcomes.get(name)!;
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/^OK: signed by /);
  });

  it.each(CASES.filter((name) => name.endsWith('_fail')))('%s is refused', (name) => {
    const outcome = outcomes.get(name)!;
    const want = REFUSALS[name]!;
    expect(outcome.stdout).toBe('');
    expect(errorCodeOf(outcome.stderr)).toBe(want.code);
    expect(outcome.code).toBe(ERROR_CODES[want.code as keyof typeof ERROR_CODES]);
    if (want.message) expect(outcome.stderr).toMatch(want.message);
  });
});

describe('the verify-bundle protocol beyond the cases', () => {
  let dir: string;
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'migseal-conformance-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a sha256: digest for the artifact of a DSSE bundle, and refuses a digest that is not its subject', async () => {
    const dsse = CASES.filter((name) => !name.endsWith('_fail') && isDsse(join(SUITE, name)));
    expect(dsse.length).toBeGreaterThanOrEqual(3);
    for (const name of dsse) {
      const case_ = join(SUITE, name);
      expect((await runScript(argsFor(case_, digestOf(artifactOf(case_))))).code).toBe(0);
      const wrong = await runScript(argsFor(case_, `sha256:${'0'.repeat(64)}`));
      expect([wrong.code, errorCodeOf(wrong.stderr)]).toEqual([2, 'SIGNATURE_SUBJECT_MISMATCH']);
    }
  });

  it('refuses a digest for a message-signature bundle: it checks those against the artifact bytes only', async () => {
    const case_ = join(SUITE, 'happy-path-v0.3');
    const outcome = await runScript(argsFor(case_, digestOf(artifactOf(case_))));
    expect([outcome.code, errorCodeOf(outcome.stderr)]).toEqual([2, 'SIGNATURE_MALFORMED']);
    expect(outcome.stderr).toMatch(/only be checked against the artifact bytes/);
  });

  it('reads a sha256:-shaped argument as a file when such a file exists', async () => {
    const case_ = join(SUITE, 'happy-path-v0.3');
    const named = join(dir, digestOf(join(SUITE, 'a.txt')));
    writeFileSync(named, 'not the artifact');
    const outcome = await runScript(argsFor(case_, named));
    expect([outcome.code, errorCodeOf(outcome.stderr)]).toEqual([2, 'SIGNATURE_INVALID']);
  });

  it('checks a keyed bundle against the logs of the trusted root given, not the public-good ones', async () => {
    const case_ = join(SUITE, 'managed-key-and-trusted-root');
    const withoutRoot = argsFor(case_).filter((a, i, all) => a !== '--trusted-root' && all[i - 1] !== '--trusted-root');
    const outcome = await runScript(withoutRoot);
    expect([outcome.code, errorCodeOf(outcome.stderr)]).toEqual([2, 'SIGNATURE_INVALID']);
  });

  it('refuses a Rekor v2 DSSE bundle whose logged digest is the payload digest rather than the signed bytes', async () => {
    const case_ = join(SUITE, 'rekor2-dsse-happy-path');
    const bundle = JSON.parse(readFileSync(join(case_, 'bundle.sigstore.json'), 'utf8'));
    const entry = bundle.verificationMaterial.tlogEntries[0];
    const body = JSON.parse(Buffer.from(entry.canonicalizedBody, 'base64').toString('utf8'));
    body.spec.hashedRekordV002.data.digest = createHash('sha256').update(Buffer.from(bundle.dsseEnvelope.payload, 'base64')).digest('base64');
    entry.canonicalizedBody = Buffer.from(JSON.stringify(body)).toString('base64');
    const copy = join(dir, 'rekor2-payload-digest.json');
    writeFileSync(copy, JSON.stringify(bundle));
    const args = argsFor(case_);
    args[2] = copy;
    const outcome = await runScript(args);
    expect([outcome.code, errorCodeOf(outcome.stderr)]).toEqual([2, 'SIGNATURE_INVALID']);
    expect(outcome.stderr).toMatch(/TLOG_BODY_ERROR|inclusion/);
  });

  it('refuses a trusted root where a CT log, a certificate authority or a timestamp authority has no start of validity', async () => {
    const case_ = join(SUITE, 'rekor2-happy-path');
    const root = readFileSync(join(case_, 'trusted_root.json'), 'utf8');
    const cut: Array<[string, (r: Record<string, Array<Record<string, any>>>) => void]> = [
      ['ctlogs[0]', (r) => delete r.ctlogs![0]!.publicKey.validFor.start],
      ['certificateAuthorities[0]', (r) => delete r.certificateAuthorities![0]!.validFor.start],
      ['timestampAuthorities[0]', (r) => delete r.timestampAuthorities![0]!.validFor.start],
    ];
    for (const [where, edit] of cut) {
      const edited = JSON.parse(root);
      edit(edited);
      const path = join(dir, `root-${where}.json`);
      writeFileSync(path, JSON.stringify(edited));
      const args = argsFor(case_);
      args[args.indexOf('--trusted-root') + 1] = path;
      const outcome = await runScript(args);
      expect([outcome.code, errorCodeOf(outcome.stderr)]).toEqual([2, 'POLICY_INVALID']);
      expect(outcome.stderr).toContain(`${where} has no start of validity`);
    }
  });

  it('runs as a process: exit 0 and OK for a good bundle, exit 2 and one stderr line naming the code for a bad one', async () => {
    const good = await spawnScript(argsFor(join(SUITE, 'rekor2-dsse-happy-path')));
    expect([good.code, good.stderr]).toEqual([0, '']);
    expect(good.stdout).toBe(`OK: signed by ${IDENTITY} (${ISSUER}) at 2026-05-13T19:23:33.000Z\n`);
    const bad = await spawnScript(argsFor(join(SUITE, 'bundle-with-root-cert_fail')));
    expect([bad.code, bad.stdout]).toEqual([2, '']);
    expect(bad.stderr).toMatch(/^verify-bundle: SIGNATURE_MALFORMED: [^\n]+\n$/);
    const usage = await spawnScript(['sign-bundle']);
    expect([usage.code, errorCodeOf(usage.stderr)]).toEqual([1, 'USAGE']);
  });

  it('answers usage errors with exit 1: no signer, two kinds of signer, a signing command', async () => {
    const bundle = join(SUITE, 'happy-path-v0.3', 'bundle.sigstore.json');
    const artifact = join(SUITE, 'a.txt');
    const key = join(SUITE, 'managed-key-happy-path', 'key.pub');
    for (const args of [
      ['verify-bundle', '--bundle', bundle, artifact],
      ['verify-bundle', '--bundle', bundle, '--key', key, '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER, artifact],
      ['verify-bundle', '--bundle', bundle, '--certificate-identity', IDENTITY, artifact],
      ['sign-bundle', '--identity-token', 'x', '--bundle', join(dir, 'out.json'), artifact],
    ]) {
      const outcome = await runScript(args);
      expect([outcome.code, errorCodeOf(outcome.stderr)]).toEqual([1, 'USAGE']);
    }
  });
});
