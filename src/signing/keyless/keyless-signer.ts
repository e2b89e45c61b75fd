/**
 * Keyless signing through Sigstore: an ephemeral key, a short-lived Fulcio certificate for
 * the CI's OIDC identity, and a Rekor entry as the trusted signing time. Verifiers match
 * the identity and issuer exactly (see keys/README.md). Only the HTTP calls to Fulcio,
 * Rekor and the CI's token endpoint leave this process.
 */
import type { Signer, Witness } from '@sigstore/sign';
import { MigsealError } from '../../errors.js';
import { LIMITS } from '../../limits.js';
import { ciIdentityToken, scrubbed, tokenClaims, type GetJson, type TokenClaims } from './ci-token.js';

export const PUBLIC_GOOD_FULCIO = 'https://fulcio.sigstore.dev';
export const PUBLIC_GOOD_REKOR = 'https://rekor.sigstore.dev';

export interface KeylessSetup {
  signer: Signer;
  witnesses: Witness[];
  claims: TokenClaims;
  fulcioURL: string;
  rekorURL: string;
}

export interface KeylessOptions {
  env: Record<string, string | undefined>;
  getJson?: GetJson;
  now?: Date;
}

export async function keylessSigning(options: KeylessOptions): Promise<KeylessSetup> {
  const { env } = options;
  const fulcioURL = serviceUrl(env.SIGSTORE_FULCIO_URL, PUBLIC_GOOD_FULCIO, 'SIGSTORE_FULCIO_URL');
  const rekorURL = serviceUrl(env.SIGSTORE_REKOR_URL, PUBLIC_GOOD_REKOR, 'SIGSTORE_REKOR_URL');
  const { token } = await ciIdentityToken(env, options.getJson);
  const claims = tokenClaims(token, options.now);
  const { FulcioSigner, RekorWitness } = await loadSigstoreSign();
  const fulcio = new FulcioSigner({ fulcioBaseURL: fulcioURL, identityProvider: { getToken: async () => token }, retry: 1, timeout: LIMITS.fulcioTimeoutMs });
  const rekor = new RekorWitness({ rekorBaseURL: rekorURL, entryType: 'dsse', retry: 1, timeout: LIMITS.rekorTimeoutMs });
  const secrets = [token];
  return {
    signer: { sign: (data) => guarded('Fulcio', fulcioURL, secrets, () => fulcio.sign(data)) },
    witnesses: [{ testify: (content, publicKey) => guarded('Rekor', rekorURL, secrets, () => rekor.testify(content, publicKey)) }],
    claims,
    fulcioURL,
    rekorURL,
  };
}

// The library's own errors may quote the token; only a scrubbed copy is kept.
async function guarded<T>(service: string, url: string, secrets: string[], step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const clean = scrubbed(error, secrets);
    throw new MigsealError('IO', `${service} (${new URL(url).origin}) refused or could not be reached: ${clean.message}.`, { cause: clean });
  }
}

function serviceUrl(value: string | undefined, fallback: string, name: string): string {
  const url = value || fallback;
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname))) return url.replace(/\/$/, '');
  } catch {
    /* reported below */
  }
  throw new MigsealError('USAGE', `${name} must be an https URL (plain http only on loopback).`);
}

async function loadSigstoreSign() {
  type Sign = typeof import('@sigstore/sign');
  const module = (await import('@sigstore/sign')) as Sign & { default?: Sign };
  return { FulcioSigner: module.FulcioSigner ?? module.default!.FulcioSigner, RekorWitness: module.RekorWitness ?? module.default!.RekorWitness };
}
