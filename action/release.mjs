#!/usr/bin/env node
/**
 * The release step of the migseal GitHub Action (action.yml), also usable from any CI: packs a
 * migrations folder into a signed bundle, keylessly with the job's OIDC identity or with a
 * private key handed over in an environment variable (from a secret), then prints the command
 * a host runs to verify exactly this signer.
 *
 * Inputs, as environment variables (action.yml maps its inputs onto them):
 *   INPUT_MIGRATIONS, INPUT_PROJECT, INPUT_RELEASE   required
 *   INPUT_DIALECT, INPUT_OUT_DIR (default "."), INPUT_TIMESTAMP_URL, INPUT_EXPIRES   optional
 *   MIGSEAL_SIGNING_KEY        a PEM private key (a secret); absent: keyless
 *   MIGSEAL_KEY_PASSPHRASE     its passphrase, when the key is encrypted (read by migseal itself)
 *   MIGSEAL_BIN                the migseal command (default: migseal on PATH)
 * Outputs (to $GITHUB_OUTPUT when set): bundle, release-id, verify-command.
 *
 * The key is written to a private temporary folder (0700, the file 0600) for the one command
 * that needs it and removed afterwards; it is never printed or passed on a command line.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

function fail(message) {
  // One line, in the form GitHub shows as an annotation; no stack trace.
  process.stderr.write(`${process.env.GITHUB_ACTIONS === 'true' ? '::error::' : ''}migseal release: ${message}\n`);
  process.exit(1);
}

/** A failure met while a temporary key may exist: thrown, so the key is removed before the exit. */
class Refusal extends Error {}

function input(name, { required = false } = {}) {
  const value = (process.env[`INPUT_${name}`] ?? '').trim();
  if (required && value === '') fail(`the input ${name.toLowerCase().replaceAll('_', '-')} is required.`);
  return value;
}

/** Runs the migseal command with its output passed through; returns its parsed --json document. */
function migseal(args, env) {
  const bin = process.env.MIGSEAL_BIN || 'migseal';
  const [command, prefix] = bin.endsWith('.js') ? [process.execPath, [bin]] : [bin, []];
  const result = spawnSync(command, [...prefix, ...args, '--json'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  if (result.error) throw new Refusal(`cannot run ${bin}: ${result.error.code ?? result.error.message} (install it with "npm install -g migseal" or set MIGSEAL_BIN).`);
  let document;
  try {
    document = JSON.parse(result.stdout);
  } catch {
    throw new Refusal(`${bin} ${args[0]} exited ${result.status} without a JSON answer.`);
  }
  if (result.status !== 0) throw new Refusal(`${bin} ${args[0]} refused (exit ${result.status}, ${document.code ?? 'no code'}): ${document.message ?? 'no message'}`);
  return document;
}

/** Quotes a word for a POSIX shell when it needs it. */
const sh = (word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);

const migrations = input('MIGRATIONS', { required: true });
const project = input('PROJECT', { required: true });
const release = input('RELEASE', { required: true });
const dialect = input('DIALECT');
const outDir = resolve(input('OUT_DIR') || '.');
const timestampUrl = input('TIMESTAMP_URL');
const expires = input('EXPIRES');
const key = process.env.MIGSEAL_SIGNING_KEY ?? '';

// The signing key never reaches the child's environment, whichever path signs.
const env = { ...process.env };
delete env.MIGSEAL_SIGNING_KEY;
// An action input that was not given arrives as an empty string.
if (env.MIGSEAL_KEY_PASSPHRASE === '') delete env.MIGSEAL_KEY_PASSPHRASE;

const keyless = key.trim() === '';
if (keyless && !env.SIGSTORE_ID_TOKEN && !(env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)) {
  fail(
    'keyless signing needs the job\'s OIDC token: grant the job "permissions: id-token: write" (GitHub Actions) or ' +
      'define "id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore" (GitLab CI); or sign with a key by setting MIGSEAL_SIGNING_KEY from a secret.',
  );
}

mkdirSync(outDir, { recursive: true });
const bundle = join(outDir, `${project}-${release}.migseal`);
const args = ['pack', migrations, '--project', project, '--release', release, '--out', bundle];
if (dialect) args.push('--dialect', dialect);
if (timestampUrl) args.push('--timestamp-url', timestampUrl);
if (expires) args.push('--expires', expires);

const scratch = keyless ? undefined : mkdtempSync(join(env.RUNNER_TEMP || tmpdir(), 'migseal-key-'));
let packed;
try {
  if (scratch) {
    const keyFile = join(scratch, 'release.key');
    writeFileSync(keyFile, key.endsWith('\n') ? key : `${key}\n`, { mode: 0o600 });
    args.push('--key', keyFile);
  } else {
    args.push('--keyless');
  }
  packed = migseal(args, env);
} catch (error) {
  if (!(error instanceof Refusal)) throw error;
  packed = error;
} finally {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
if (packed instanceof Refusal) fail(packed.message);

// Who signed, as the bundle states it: the host's verify command names exactly that signer.
let claimed;
try {
  claimed = migseal(['inspect', bundle], env);
} catch (error) {
  if (error instanceof Refusal) fail(error.message);
  throw error;
}
const signature = (claimed.signatures ?? []).find((s) => s.role === 'release') ?? {};
const identity = signature.identity ?? signature.certificate?.identity;
const issuer = signature.issuer ?? signature.certificate?.issuer;
const name = `${project}-${release}.migseal`;
const verify = keyless
  ? `migseal verify ${sh(name)} --certificate-identity ${sh(identity ?? 'IDENTITY')} --certificate-oidc-issuer ${sh(issuer ?? (env.GITHUB_ACTIONS === 'true' ? GITHUB_ISSUER : 'ISSUER'))}`
  : `migseal verify ${sh(name)} --key release.pub`;

const lines = [
  `packed and signed ${project} release ${release}: ${bundle}`,
  `  release id  sha256:${packed.digest}`,
  `  signed      ${keyless ? `keyless as ${identity ?? '(identity not readable)'} (issuer ${issuer ?? 'unknown'})` : `with the key from MIGSEAL_SIGNING_KEY (key id ${signature.keyId ?? 'unknown'})`}`,
  '',
  'Verify exactly this signer (an auditor, or a first check on a host):',
  `  ${verify}`,
  'A production host verifies and applies against its own trust policy:',
  `  migseal apply ${sh(name)} --trust /etc/migseal/trust.json --env production --db "$MIGSEAL_DATABASE_URL"`,
];
process.stdout.write(`${lines.join('\n')}\n`);

if (env.GITHUB_OUTPUT) {
  appendFileSync(env.GITHUB_OUTPUT, `bundle=${bundle}\nrelease-id=sha256:${packed.digest}\nverify-command=${verify}\n`);
}
if (env.GITHUB_STEP_SUMMARY) {
  appendFileSync(env.GITHUB_STEP_SUMMARY, `### migseal: ${project} release ${release}\n\nRelease id \`sha256:${packed.digest}\`\n\n\`\`\`sh\n${verify}\n\`\`\`\n`);
}
