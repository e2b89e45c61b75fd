#!/usr/bin/env node
// The Sigstore conformance suite's client protocol (its docs/cli_protocol.md), verify side only,
// on top of migseal's own bundle reader and verifier (the library's verifySigstoreBundle):
//
//   sigstore-conformance.mjs verify-bundle --bundle FILE
//       (--certificate-identity ID --certificate-oidc-issuer URL | --key PEM)
//       [--trusted-root FILE] FILE_OR_DIGEST
//
// FILE_OR_DIGEST is the artifact, or `sha256:<hex>` when no such file exists. Exit 0 when the
// bundle verifies; otherwise migseal's exit code (2 refused, 1 unusable input) and one line on
// stderr naming the error code. Run `npm run build` first: it loads dist/.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadPublicKey, loadTrustedRootFile, MigsealError, verifySigstoreBundle } from '../dist/index.js';

const DIGEST = /^sha256:([0-9a-f]{64})$/;

function run(argv) {
  const [command, ...rest] = argv;
  if (command !== 'verify-bundle') throw new MigsealError('USAGE', `Only "verify-bundle" is supported (got "${command ?? ''}"): migseal signs its own releases, not conformance artifacts.`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        staging: { type: 'boolean' },
        bundle: { type: 'string' },
        'certificate-identity': { type: 'string' },
        'certificate-oidc-issuer': { type: 'string' },
        key: { type: 'string' },
        'trusted-root': { type: 'string' },
      },
    });
  } catch (error) {
    throw new MigsealError('USAGE', error.message);
  }
  const { values: v, positionals } = parsed;
  if (positionals.length !== 1 || !v.bundle) throw new MigsealError('USAGE', 'verify-bundle needs --bundle FILE and exactly one FILE_OR_DIGEST.');
  if (v.staging && !v['trusted-root']) throw new MigsealError('USAGE', '--staging needs --trusted-root: migseal works offline and ships only the public-good root.');
  const byKey = v.key !== undefined;
  const byIdentity = v['certificate-identity'] !== undefined || v['certificate-oidc-issuer'] !== undefined;
  if (byKey === byIdentity || (byIdentity && !(v['certificate-identity'] && v['certificate-oidc-issuer']))) {
    throw new MigsealError('USAGE', 'Name the signer with --key, or with both --certificate-identity and --certificate-oidc-issuer.');
  }
  const target = positionals[0];
  const digest = DIGEST.exec(target);
  const artifact = digest && !existsSync(target) ? { digest: { algorithm: 'sha256', hex: digest[1] } } : { bytes: read(target) };
  const signer = byKey ? { publicKey: loadPublicKey(read(v.key).toString('utf8'), v.key) } : { identity: v['certificate-identity'], issuer: v['certificate-oidc-issuer'] };
  return verifySigstoreBundle({
    bundle: read(v.bundle),
    artifact,
    signer,
    ...(v['trusted-root'] && { trustedRoot: loadTrustedRootFile(v['trusted-root']) }),
  });
}

function read(path) {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new MigsealError('IO', `Cannot read ${path}: ${error.code ?? error.message}.`, { cause: error });
  }
}

/** Runs one protocol command; returns what the process prints and its exit code. */
export function verifyBundleCommand(argv) {
  try {
    const verified = run(argv);
    const who = verified.identity ? `${verified.identity} (${verified.issuer})` : 'the key';
    const when = verified.trustedTimes.length ? ` at ${verified.trustedTimes.map((t) => t.toISOString()).join(', ')}` : '';
    return { exitCode: 0, stdout: `OK: signed by ${who}${when}\n`, stderr: '' };
  } catch (error) {
    const coded = error instanceof MigsealError ? error : new MigsealError('IO', `Unexpected failure: ${error?.message ?? String(error)}`, { cause: error });
    return { exitCode: coded.exitCode, stdout: '', stderr: `verify-bundle: ${coded.code}: ${coded.message}\n` };
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { exitCode, stdout, stderr } = verifyBundleCommand(process.argv.slice(2));
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  process.exitCode = exitCode;
}
