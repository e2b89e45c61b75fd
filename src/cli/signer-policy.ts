/**
 * `verify --key FILE` and `verify --certificate-identity ID --certificate-oidc-issuer URL
 * [--trusted-root FILE]`: a trust policy made in memory that trusts exactly that one signer as
 * the release signer, for an auditor or a quick check (as cosign does). It is built and checked
 * by the same code as a policy file, so the same rules apply: the key file's permissions, exact
 * identity and issuer, the built-in public-good root unless --trusted-root names another.
 * Production hosts keep --trust, which adds approvals, expiry, findings and provenance rules.
 */
import { basename, resolve } from 'node:path';
import { MigsealError } from '../errors.js';
import { PUBLIC_GOOD } from '../trust/sigstore-root.js';
import { trustPolicyFromJson, type TrustPolicy } from '../trust/policy.js';

export const SIGNER_FLAGS = ['key', 'certificate-identity', 'certificate-oidc-issuer', 'trusted-root'] as const;

/** The one-signer policy the flags name, or undefined when they name none. `project` is the bundle's own. */
export function signerPolicyFromFlags(flags: Record<string, unknown>, project: string, cwd: string): TrustPolicy | undefined {
  const given = (name: string) => typeof flags[name] === 'string';
  if (!SIGNER_FLAGS.some(given)) return undefined;
  if (given('trust')) throw new MigsealError('USAGE', 'Give either --trust FILE or one signer (--key, or --certificate-identity with --certificate-oidc-issuer), not both.');
  const keyed = given('key');
  const certified = given('certificate-identity') || given('certificate-oidc-issuer') || given('trusted-root');
  if (keyed && certified) throw new MigsealError('USAGE', '--key names a public key; --certificate-identity, --certificate-oidc-issuer and --trusted-root name a certificate signer. Give one of the two.');
  const origin = resolve(cwd, '(command line)');
  if (keyed) {
    const keyPath = resolve(cwd, flags.key as string);
    return fromCommandLine({ project, keys: [{ id: basename(keyPath), publicKey: keyPath, roles: ['release'] }], environments: { default: { release: 1 } } }, origin);
  }
  if (!given('certificate-identity') || !given('certificate-oidc-issuer')) {
    throw new MigsealError('USAGE', '--certificate-identity and --certificate-oidc-issuer go together: the exact identity (URI or email) and the exact OIDC issuer URL.');
  }
  const ca = given('trusted-root') ? 'trusted-root' : PUBLIC_GOOD;
  return fromCommandLine(
    {
      project,
      keys: [],
      ...(given('trusted-root') && { cas: [{ id: 'trusted-root', trustedRoot: resolve(cwd, flags['trusted-root'] as string) }] }),
      identities: [{ id: 'certificate', ca, identity: flags['certificate-identity'], issuer: flags['certificate-oidc-issuer'], roles: ['release'] }],
      environments: { default: { release: 1 } },
    },
    origin,
  );
}

/** The policy's own checks, reported as what they are about: the signer named on the command line. */
function fromCommandLine(raw: unknown, origin: string): TrustPolicy {
  try {
    return trustPolicyFromJson(raw, origin);
  } catch (error) {
    const problems = error instanceof MigsealError ? (error.details?.problems as string[] | undefined) : undefined;
    if (!problems) throw error;
    // The first cause only: an unreadable trusted root also leaves the identity naming a missing authority.
    const plain = problems.map((p) => p.replace(/^\$\.(keys|identities|cas)\[0\]\.?\w*:? ?/, '').replace(/\.$/, '')).filter((p) => !p.includes('$.'));
    throw new MigsealError('POLICY_INVALID', `The signer named on the command line cannot be used: ${plain.join('; ')}.`, { cause: error });
  }
}
