/**
 * A trusted signing time from an RFC 3161 timestamp authority that speaks Sigstore's
 * timestamp API (POST {url}/api/v1/timestamp). The HTTP client is loaded only when a
 * timestamp is asked for, so commands that do not stamp never load it.
 */
import type { Witness } from '@sigstore/sign';
import { MigsealError } from '../errors.js';
import { LIMITS } from '../limits.js';

export async function timestampWitness(url: string): Promise<Witness> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new MigsealError('USAGE', `--timestamp-url must be an http(s) URL, not "${url}".`, { cause: error });
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname))) {
    throw new MigsealError('USAGE', '--timestamp-url must use https (plain http only on loopback).');
  }
  const module = (await import('@sigstore/sign/dist/witness/tsa/index.js')) as typeof import('@sigstore/sign/dist/witness/tsa/index.js') & { default?: typeof import('@sigstore/sign/dist/witness/tsa/index.js') };
  const TSAWitness = module.TSAWitness ?? module.default!.TSAWitness; // CommonJS seen from ESM
  const witness = new TSAWitness({ tsaBaseURL: url.replace(/\/$/, ''), retry: 2, timeout: LIMITS.timestampAuthorityTimeoutMs });
  return {
    testify: async (content) => {
      try {
        return await witness.testify(content);
      } catch (error) {
        throw new MigsealError('IO', `The timestamp authority at ${parsed.origin} did not answer with a timestamp: ${(error as Error).message}.`, { cause: error });
      }
    },
  };
}
