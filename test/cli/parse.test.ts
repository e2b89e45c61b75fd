/** argv -> command and options, against the real command table. */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/table.js';
import { findCommand, parseCommand, requireFlag } from '../../src/cli/parse.js';
import type { MigsealError } from '../../src/errors.js';
import { refusal } from '../helpers/refusal.js';

function parse(argv: string[]) {
  const found = findCommand(argv, COMMANDS);
  if (!found) return undefined;
  const parsed = parseCommand(found.name, COMMANDS[found.name]!, found.rest);
  return { name: parsed.name, positionals: parsed.positionals, flags: { ...parsed.flags } };
}

function usageError(argv: string[]): MigsealError {
  const error = refusal(() => parse(argv), 'USAGE');
  expect(error.exitCode).toBe(1);
  return error;
}

describe('argv -> options', () => {
  const table: Array<[string[], { name: string; positionals: string[]; flags: Record<string, unknown> }]> = [
    [['keys', 'generate', '--out', 'ci/release'], { name: 'keys generate', positionals: [], flags: { out: 'ci/release' } }],
    [['keys', 'generate', '--out', 'k', '--type', 'ecdsa-p256', '--force', '--json'], { name: 'keys generate', positionals: [], flags: { out: 'k', type: 'ecdsa-p256', force: true, json: true } }],
    [
      ['pack', 'db/migrations', '--project', 'shop', '--release', '42', '--key', 'ci/release.key', '--out', 'shop-42.migseal'],
      { name: 'pack', positionals: ['db/migrations'], flags: { project: 'shop', release: '42', key: 'ci/release.key', out: 'shop-42.migseal' } },
    ],
    [
      ['pack', 'm', '--project=shop', '--release=1.2', '--out=o', '--layout', 'plain', '--dialect', 'sqlite', '--expires', '2027-01-01T00:00:00Z', '--role', 'approve'],
      { name: 'pack', positionals: ['m'], flags: { project: 'shop', release: '1.2', out: 'o', layout: 'plain', dialect: 'sqlite', expires: '2027-01-01T00:00:00Z', role: 'approve' } },
    ],
    [
      ['pack', 'm', '--project', 'p', '--release', '1', '--out', 'o', '--source-repo', 'https://x/y', '--source-commit', 'abc1234', '--builder', 'ci', '--source-ref', 'refs/heads/main', '--invocation', 'run-1'],
      { name: 'pack', positionals: ['m'], flags: { project: 'p', release: '1', out: 'o', 'source-repo': 'https://x/y', 'source-commit': 'abc1234', builder: 'ci', 'source-ref': 'refs/heads/main', invocation: 'run-1' } },
    ],
    [['sign', 'shop-42.migseal', '--key', 'alice.key', '--role', 'approve'], { name: 'sign', positionals: ['shop-42.migseal'], flags: { key: 'alice.key', role: 'approve' } }],
    [['sign', 'b', '--key', 'k', '--out', 'c', '--json'], { name: 'sign', positionals: ['b'], flags: { key: 'k', out: 'c', json: true } }],
    [['inspect', 'shop-42.migseal'], { name: 'inspect', positionals: ['shop-42.migseal'], flags: {} }],
    [['inspect', 'shop-42.migseal', '--json'], { name: 'inspect', positionals: ['shop-42.migseal'], flags: { json: true } }],
    [['verify', 'shop-42.migseal', '--trust', 'keys/trust.json'], { name: 'verify', positionals: ['shop-42.migseal'], flags: { trust: 'keys/trust.json' } }],
    [['verify', 'b', '--trust', 't', '--env', 'production', '--json'], { name: 'verify', positionals: ['b'], flags: { trust: 't', env: 'production', json: true } }],
    [['verify', '--trust', 't', 'b'], { name: 'verify', positionals: ['b'], flags: { trust: 't' } }],
    [
      ['audit', 'shop-42.migseal', '--trust', 't', '--env', 'production', '--db', 'sqlite:shop.db', '--html', 'report.html', '--json'],
      { name: 'audit', positionals: ['shop-42.migseal'], flags: { trust: 't', env: 'production', db: 'sqlite:shop.db', html: 'report.html', json: true } },
    ],
    // A bundle named "verify" is audited; only "audit-log verify" is the audit log's command.
    [['audit', 'verify'], { name: 'audit', positionals: ['verify'], flags: {} }],
    [['audit-log', 'verify', 'migseal-audit.jsonl'], { name: 'audit-log verify', positionals: ['migseal-audit.jsonl'], flags: {} }],
  ];
  for (const [argv, expected] of table) {
    it(argv.join(' '), () => {
      expect(parse(argv)).toEqual(expected);
    });
  }

  it('"--" ends flags: a bundle named like a flag is a positional', () => {
    expect(parse(['inspect', '--', '--json'])).toEqual({ name: 'inspect', positionals: ['--json'], flags: {} });
  });

  it('finds two-word commands before one-word ones, and nothing for unknown words', () => {
    expect(findCommand(['keys', 'generate', '--out', 'x'], COMMANDS)).toEqual({ name: 'keys generate', rest: ['--out', 'x'] });
    expect(findCommand(['keys'], COMMANDS)).toBeUndefined();
    expect(findCommand(['frobnicate'], COMMANDS)).toBeUndefined();
    expect(findCommand([], COMMANDS)).toBeUndefined();
  });
});

describe('usage errors', () => {
  it('unknown flag', () => {
    const error = usageError(['verify', 'b', '--trust', 't', '--trsut', 'x']);
    expect(error.message).toMatch(/--trsut/);
    expect(error.message).toContain(COMMANDS.verify!.usage);
  });
  it('a flag of another command', () => expect(usageError(['inspect', 'b', '--trust', 't']).message).toMatch(/--trust/));
  it('a string flag without a value', () => expect(usageError(['verify', 'b', '--trust']).message).toMatch(/--trust/));
  it('a string flag with an empty value', () => expect(usageError(['verify', 'b', '--trust', '']).message).toMatch(/--trust needs a value/));
  it('a boolean flag given a value', () => expect(usageError(['inspect', 'b', '--json=yes']).message).toMatch(/--json/));
  it('too many positionals', () => expect(usageError(['verify', 'a', 'b', '--trust', 't']).message).toMatch(/verify takes 1 argument/));
  it('a missing positional', () => expect(usageError(['inspect']).message).toMatch(/inspect takes 1 argument/));
  it('a positional where none is taken', () => expect(usageError(['keys', 'generate', 'x', '--out', 'k']).message).toMatch(/takes no arguments/));
  it('a missing required flag', () => {
    const { flags } = parse(['verify', 'b'])!;
    expect(() => requireFlag(flags, 'trust', COMMANDS.verify!.usage)).toThrow(/--trust is required/);
  });
});
