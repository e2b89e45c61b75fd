/**
 * Names and messages from a bundle reach a terminal only as text: a signed manifest whose
 * migration name carries an escape sequence, a carriage return or a bidirectional override
 * is printed with those characters escaped, by every command that shows it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest, serializeManifest } from '../../src/format/manifest.js';
import { printableOutput, terminalSafe } from '../../src/format/terminal-text.js';
import { runCli } from '../helpers/cli.js';
import { decodeBundle, makeWorld, sealBundle, type World } from '../helpers/verify-world.js';

const HOSTILE = 'users\u001b[2J\u001b]0;owned\u0007\rDROP\u202etxt.sql';
let world: World;
let bundle: string;

beforeAll(async () => {
  world = await makeWorld();
  const contents = await decodeBundle(world.bundle);
  const manifest = parseManifest(contents.manifestBytes);
  manifest.migrations[0]!.name = HOSTILE;
  bundle = join(world.dir, 'hostile.migseal');
  writeFileSync(bundle, await sealBundle(serializeManifest(manifest), contents.files, [{ signer: world.release.signer, role: 'release' }]));
});
afterAll(() => world?.cleanup());

const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

describe('terminal output', () => {
  it.each([
    ['inspect', () => ['inspect', bundle]],
    ['plan', () => ['plan', bundle, '--trust', world.policy, '--db', `sqlite:${join(world.dir, 'plan.db')}`]],
    ['apply', () => ['apply', bundle, '--trust', world.policy, '--db', `sqlite:${join(world.dir, 'apply.db')}`, '--audit-log', join(world.dir, 'audit.jsonl')]],
    ['history', () => ['history', '--db', `sqlite:${join(world.dir, 'apply.db')}`]],
  ])('%s escapes control characters and bidirectional overrides from the bundle', async (_name, args) => {
    const result = await runCli(args());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('users\\x1b[2J\\x1b]0;owned\\x07\\rDROP\\u{202e}txt.sql');
    expect(result.stdout + result.stderr).not.toMatch(RAW);
  });

  it('--json escapes C1 controls and bidirectional overrides too, and parses back to the same name', async () => {
    const result = await runCli(['inspect', bundle, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(RAW);
    expect(result.stdout).toContain('DROP\\u202etxt.sql');
    const names = (JSON.parse(result.stdout).manifest.migrations as Array<{ name: string }>).map((m) => m.name);
    expect(names).toContain(HOSTILE);
  });

  it('leaves lines and tabs alone, and escapes everything else once', () => {
    expect(printableOutput('a\tb\nc\u001b[31md\u0085e\u2067f')).toBe('a\tb\nc\\x1b[31md\\x85e\\u{2067}f');
    expect(printableOutput('plain C:\\path\n')).toBe('plain C:\\path\n');
    expect(terminalSafe('a\\b\nc')).toBe('a\\\\b\\nc');
  });
});
