/**
 * The GitHub Action's script (action/release.mjs), run as CI runs it: a real process with the
 * inputs in its environment, the built CLI, real keys. The key path signs end to end; the keyless
 * path is followed up to the point where it needs the OIDC token (there is none here).
 */
import { createServer, type IncomingMessage } from 'node:http';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, runNode, type CliResult } from '../helpers/cli.js';

const SCRIPT = fileURLToPath(new URL('../../action/release.mjs', import.meta.url));

let dir: string;
let privateKey: string;

function runAction(env: Record<string, string>): Promise<CliResult> {
  return runNode([SCRIPT], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, MIGSEAL_BIN: BIN, MIGSEAL_AUDIT_LOG: join(dir, 'audit.jsonl'), ...env } });
}

const inputs = (out: string) => ({ INPUT_MIGRATIONS: 'migrations', INPUT_PROJECT: 'shop', INPUT_RELEASE: '7', INPUT_DIALECT: 'sqlite', INPUT_OUT_DIR: out });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'migseal-action-'));
  mkdirSync(join(dir, 'migrations'));
  writeFileSync(join(dir, 'migrations', '1_users.up.sql'), 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n');
  mkdirSync(join(dir, 'keys'), { mode: 0o700 });
  expect((await runCli(['keys', 'generate', '--out', 'keys/release'], { cwd: dir })).code).toBe(0);
  privateKey = readFileSync(join(dir, 'keys', 'release.key'), 'utf8');
  writeFileSync(join(dir, 'keys', 'trust.json'), JSON.stringify({ project: 'shop', keys: [{ id: 'ci', publicKey: 'release.pub', roles: ['release'] }], environments: { default: { release: 1 } } }));
  chmodSync(join(dir, 'keys', 'trust.json'), 0o644);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('action/release.mjs with a key from a secret', () => {
  it('packs and signs, writes the outputs, prints the verify command, and leaves no key behind', async () => {
    const runnerTemp = mkdtempSync(join(dir, 'runner-temp-'));
    const output = join(dir, 'github-output');
    const summary = join(dir, 'step-summary');
    const result = await runAction({
      ...inputs(join(dir, 'out-key')),
      MIGSEAL_SIGNING_KEY: privateKey,
      RUNNER_TEMP: runnerTemp,
      GITHUB_ACTIONS: 'true',
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const bundle = join(dir, 'out-key', 'shop-7.migseal');
    expect(existsSync(bundle)).toBe(true);
    expect(result.stdout).toContain('migseal verify shop-7.migseal --key release.pub');
    const outputs = readFileSync(output, 'utf8');
    expect(outputs).toContain(`bundle=${bundle}\n`);
    expect(outputs).toMatch(/^release-id=sha256:[0-9a-f]{64}$/m);
    expect(readFileSync(summary, 'utf8')).toContain('--key release.pub');
    // The key was in a private scratch folder for the one command and is gone; it was never printed.
    expect(readdirSync(runnerTemp)).toEqual([]);
    const keyBody = privateKey.split('\n')[1]!;
    expect(result.stdout + result.stderr + outputs).not.toContain(keyBody);
    // What the action signed verifies against a policy that trusts the key.
    const verified = await runCli(['verify', bundle, '--trust', 'keys/trust.json', '--json'], { cwd: dir });
    expect(verified.code).toBe(0);
    expect(outputs).toContain(`release-id=sha256:${(JSON.parse(verified.stdout) as { digest: string }).digest}`);
  });

  it('refuses a missing input in one line, before anything is written', async () => {
    const result = await runAction({ ...inputs(join(dir, 'out-missing')), INPUT_PROJECT: '', MIGSEAL_SIGNING_KEY: privateKey, GITHUB_ACTIONS: 'true' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('::error::migseal release: the input project is required.\n');
    expect(existsSync(join(dir, 'out-missing'))).toBe(false);
  });

  it('passes a refusal of migseal through with its code (a key that is not a key)', async () => {
    const runnerTemp = mkdtempSync(join(dir, 'runner-temp-'));
    const result = await runAction({ ...inputs(join(dir, 'out-bad')), MIGSEAL_SIGNING_KEY: 'not a key', RUNNER_TEMP: runnerTemp });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/migseal release: .*pack refused \(exit \d, [A-Z_]+\)/);
    expect(existsSync(join(dir, 'out-bad', 'shop-7.migseal'))).toBe(false);
    expect(readdirSync(runnerTemp)).toEqual([]);
  });
});

describe('action/release.mjs keyless', () => {
  it('without an OIDC token: says which permission the job needs, and packs nothing', async () => {
    const result = await runAction({ ...inputs(join(dir, 'out-no-token')), GITHUB_ACTIONS: 'true' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"permissions: id-token: write"');
    expect(result.stderr).toContain('id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore');
    expect(existsSync(join(dir, 'out-no-token', 'shop-7.migseal'))).toBe(false);
  });

  it('asks GitHub for a token for the sigstore audience with the request token, and never prints it', async () => {
    const requests: IncomingMessage[] = [];
    const server = createServer((request, response) => {
      requests.push(request);
      response.writeHead(503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const bearer = 'request-token-5f0c1e';
    try {
      const result = await runAction({
        ...inputs(join(dir, 'out-keyless')),
        GITHUB_ACTIONS: 'true',
        ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: bearer,
      });
      expect(result.code).toBe(1);
      expect(requests).toHaveLength(1);
      const url = new URL(requests[0]!.url!, 'http://x');
      expect(url.searchParams.get('audience')).toBe('sigstore');
      expect(requests[0]!.headers.authorization).toBe(`Bearer ${bearer}`);
      expect(result.stderr).toContain('Cannot get an identity token from GitHub Actions');
      expect(result.stdout + result.stderr).not.toContain(bearer);
      expect(existsSync(join(dir, 'out-keyless', 'shop-7.migseal'))).toBe(false);
    } finally {
      server.close();
    }
  });
});
