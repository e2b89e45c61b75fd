/**
 * Keyless signing, everything but the calls to Fulcio and Rekor: finding the CI's OIDC
 * token (GitHub's token endpoint served for real on loopback), reading its claims, wiring
 * the Sigstore signer and witness, and keeping the token out of every error and output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ciIdentityToken, tokenClaims } from '../../src/signing/keyless/ci-token.js';
import { keylessSigning, PUBLIC_GOOD_FULCIO, PUBLIC_GOOD_REKOR } from '../../src/signing/keyless/keyless-signer.js';
import { runCli } from '../helpers/cli.js';
import { makeWorld, type World } from '../helpers/verify-world.js';
import { refusal } from '../helpers/refusal.js';

const HOUR = 3600;
function jwt(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}
const GITHUB_CLAIMS = {
  iss: 'https://token.actions.githubusercontent.com',
  sub: 'repo:example/shop:ref:refs/heads/main',
  aud: 'sigstore',
  exp: Math.floor(Date.now() / 1000) + HOUR,
};
const TOKEN = jwt(GITHUB_CLAIMS);

async function serve(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let github: Awaited<ReturnType<typeof serve>>;
let echoingFulcio: Awaited<ReturnType<typeof serve>>;
const seen: Array<{ url: string; auth: string | undefined }> = [];
let world: World;

beforeAll(async () => {
  world = await makeWorld();
  github = await serve((req, _body, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    if (req.headers.authorization !== 'Bearer runner-secret') return void res.writeHead(401).end('no');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: TOKEN }));
  });
  // A hostile or broken service that echoes what it was sent (the token) in its error.
  echoingFulcio = await serve((_req, body, res) => void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 400, message: `bad request: ${body}` })));
});
afterAll(async () => {
  await github?.close();
  await echoingFulcio?.close();
  world?.cleanup();
});

describe('the CI identity token', () => {
  it('comes from SIGSTORE_ID_TOKEN in GitLab CI', async () => {
    expect(await ciIdentityToken({ SIGSTORE_ID_TOKEN: TOKEN })).toEqual({ token: TOKEN, source: 'SIGSTORE_ID_TOKEN' });
  });

  it("comes from GitHub Actions' token endpoint, asked for audience sigstore with the runner's bearer token", async () => {
    const env = { ACTIONS_ID_TOKEN_REQUEST_URL: `${github.url}/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-secret' };
    expect(await ciIdentityToken(env)).toEqual({ token: TOKEN, source: 'GitHub Actions' });
    const request = new URL(seen.at(-1)!.url, github.url);
    expect(request.searchParams.get('audience')).toBe('sigstore');
    expect(request.searchParams.get('api-version')).toBe('2.0');
  });

  it('a refused GitHub request is an I/O error that does not quote the runner token', async () => {
    const env = { ACTIONS_ID_TOKEN_REQUEST_URL: `${github.url}/token`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong-secret' };
    const error = await refusal(ciIdentityToken(env));
    expect(error.code).toBe('IO');
    expect(`${error.message} ${String((error.cause as Error).message)}`).not.toContain('wrong-secret');
  });

  it('outside CI, says how to grant a token', async () => {
    const error = await refusal(ciIdentityToken({}));
    expect(error.code).toBe('USAGE');
    expect(error.message).toMatch(/id-token: write/);
    expect(error.message).toMatch(/id_tokens: SIGSTORE_ID_TOKEN/);
  });

  it('claims: issuer and subject (or verified email)', () => {
    expect(tokenClaims(TOKEN)).toMatchObject({ issuer: GITHUB_CLAIMS.iss, subject: GITHUB_CLAIMS.sub });
    expect(tokenClaims(jwt({ ...GITHUB_CLAIMS, email: 'alice@example.com', email_verified: true })).subject).toBe('alice@example.com');
  });

  it.each([
    ['not a JWT', 'abc.def', /not a JSON Web Token/],
    ['another audience', jwt({ ...GITHUB_CLAIMS, aud: 'github' }), /not for audience "sigstore"/],
    ['expired', jwt({ ...GITHUB_CLAIMS, exp: 1_000_000 }), /expired at/],
    ['an unverified email', jwt({ ...GITHUB_CLAIMS, email: 'alice@example.com' }), /has not verified/],
  ])('claims: a token that is %s is refused before Fulcio is asked', (_name, token, message) => {
    expect(() => tokenClaims(token)).toThrow(message);
  });
});

describe('keyless signing setup', () => {
  it('signs through public-good Fulcio and Rekor by default', async () => {
    const setup = await keylessSigning({ env: { SIGSTORE_ID_TOKEN: TOKEN } });
    expect({ fulcio: setup.fulcioURL, rekor: setup.rekorURL }).toEqual({ fulcio: PUBLIC_GOOD_FULCIO, rekor: PUBLIC_GOOD_REKOR });
    expect(setup.witnesses).toHaveLength(1);
    expect(setup.claims.issuer).toBe('https://token.actions.githubusercontent.com');
  });

  it('refuses plain-http services off loopback', async () => {
    const error = await refusal(keylessSigning({ env: { SIGSTORE_ID_TOKEN: TOKEN, SIGSTORE_FULCIO_URL: 'http://fulcio.example.com' } }));
    expect(error.message).toMatch(/SIGSTORE_FULCIO_URL must be an https URL/);
  });

  it('a Fulcio failure is an I/O error with the token scrubbed, even when the service echoes it', async () => {
    const setup = await keylessSigning({ env: { SIGSTORE_ID_TOKEN: TOKEN, SIGSTORE_FULCIO_URL: echoingFulcio.url } });
    const error = await refusal(setup.signer.sign(Buffer.from('statement')));
    expect(error.code).toBe('IO');
    expect(error.message).toMatch(/^Fulcio \(http:\/\/127\.0\.0\.1:\d+\) refused/);
    expect(error.message).toContain('[redacted]');
    expect(`${error.message} ${(error.cause as Error).message}`).not.toContain(TOKEN);
  });
});

describe('pack --keyless and sign --keyless (CLI)', () => {
  it('pack --keyless outside CI refuses with the fix, and writes nothing', async () => {
    const out = join(world.dir, 'keyless.migseal');
    const result = await runCli(['pack', world.migrations, '--project', 'shop', '--release', '42', '--out', out, '--keyless']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/id-token: write/);
    expect(() => readFileSync(out)).toThrow();
  });

  it('--keyless with --key is a usage error', async () => {
    const result = await runCli(['sign', join(world.dir, 'x.migseal'), '--keyless', '--key', world.release.privatePath]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/do not give --key or --cert/);
  });

  it('sign --keyless against a failing Fulcio exits 1, never prints the token, and leaves the bundle as it was', async () => {
    const path = join(world.dir, 'to-sign.migseal');
    writeFileSync(path, world.bundle);
    const result = await runCli(['sign', path, '--keyless', '--json'], { env: { SIGSTORE_ID_TOKEN: TOKEN, SIGSTORE_FULCIO_URL: echoingFulcio.url } });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, code: 'IO' });
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
    expect(readFileSync(path).equals(world.bundle)).toBe(true);
  });
});
