/**
 * The CI's OIDC identity token for Sigstore (audience "sigstore"): GitHub Actions hands it
 * out over HTTP to jobs with `permissions: id-token: write`; GitLab CI puts it in the
 * variable named by `id_tokens` (SIGSTORE_ID_TOKEN, as cosign reads it). The token is a
 * credential: it is never printed, and errors never quote it.
 */
import { MigsealError } from '../../errors.js';
import { LIMITS } from '../../limits.js';

export const SIGSTORE_AUDIENCE = 'sigstore';

/** The HTTP GET used for GitHub's token endpoint; replaceable so the rest is testable offline. */
export type GetJson = (url: string, headers: Record<string, string>) => Promise<unknown>;

export interface TokenClaims {
  issuer: string;
  subject: string;
  expiresAt?: Date;
}

export async function ciIdentityToken(env: Record<string, string | undefined>, getJson: GetJson = fetchJson): Promise<{ token: string; source: string }> {
  const direct = env.SIGSTORE_ID_TOKEN;
  if (direct) return { token: direct, source: 'SIGSTORE_ID_TOKEN' };
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (url && bearer) {
    const request = new URL(url);
    request.searchParams.set('audience', SIGSTORE_AUDIENCE);
    let value: unknown;
    try {
      value = ((await getJson(request.href, { Accept: 'application/json', Authorization: `Bearer ${bearer}` })) as { value?: unknown } | null)?.value;
    } catch (error) {
      throw new MigsealError('IO', `Cannot get an identity token from GitHub Actions (${request.origin}).`, { cause: scrubbed(error, [bearer]) });
    }
    if (typeof value !== 'string' || value === '') throw new MigsealError('IO', 'GitHub Actions answered without an identity token.');
    return { token: value, source: 'GitHub Actions' };
  }
  throw new MigsealError(
    'USAGE',
    'Keyless signing needs an OIDC identity token from CI: in GitHub Actions grant the job "permissions: id-token: write"; in GitLab CI add "id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore".',
  );
}

/** Reads (without verifying: Fulcio does that) the claims that decide the certificate's identity. */
export function tokenClaims(token: string, now = new Date()): TokenClaims {
  const parts = token.split('.');
  const notJwt = () => new MigsealError('KEY_INVALID', 'The CI identity token is not a JSON Web Token.');
  if (parts.length !== 3) throw notJwt();
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw notJwt();
  }
  if (payload === null || typeof payload !== 'object') throw notJwt();
  if (typeof payload.iss !== 'string' || typeof payload.sub !== 'string') throw new MigsealError('KEY_INVALID', 'The CI identity token has no issuer or subject.');
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!aud.includes(SIGSTORE_AUDIENCE)) throw new MigsealError('KEY_INVALID', `The CI identity token is not for audience "${SIGSTORE_AUDIENCE}".`);
  if (payload.email !== undefined && payload.email_verified !== true) throw new MigsealError('KEY_INVALID', 'The CI identity token names an email its issuer has not verified.');
  const expiresAt = typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : undefined;
  if (expiresAt && expiresAt <= now) throw new MigsealError('KEY_INVALID', `The CI identity token expired at ${expiresAt.toISOString()}.`);
  return { issuer: payload.iss, subject: typeof payload.email === 'string' ? payload.email : payload.sub, ...(expiresAt && { expiresAt }) };
}

/** A copy of an error whose message no longer contains any of the secrets. */
export function scrubbed(error: unknown, secrets: readonly string[]): Error {
  let message = error instanceof Error ? error.message : String(error);
  for (const s of secrets) if (s) message = message.split(s).join('[redacted]');
  return new Error(message);
}

async function fetchJson(url: string, headers: Record<string, string>): Promise<unknown> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(LIMITS.ciTokenTimeoutMs) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}
