import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/table.js';
import { ownArguments, parseCommand } from '../../src/cli/parse.js';

describe('exec command line', () => {
  it('stops reading flags at the first --; everything after it is the command', () => {
    const parsed = parseCommand('exec', COMMANDS.exec!, ['b.migseal', '--trust', 't.json', '--', 'tool', '--trust', 'x', '--', '{dir}', '--json']);
    expect(parsed.positionals).toEqual(['b.migseal']);
    expect(parsed.flags).toEqual({ trust: 't.json' });
    expect(parsed.command).toEqual(['tool', '--trust', 'x', '--', '{dir}', '--json']);
  });

  it('has no command without --, and extra words before it are a usage error', () => {
    expect(parseCommand('exec', COMMANDS.exec!, ['b.migseal', '--trust', 't.json']).command).toBeUndefined();
    expect(() => parseCommand('exec', COMMANDS.exec!, ['b.migseal', 'tool', '--trust', 't.json'])).toThrow(/takes 1 argument/);
  });

  it('leaves -- alone for commands that run nothing', () => {
    expect(parseCommand('verify', COMMANDS.verify!, ['--trust', 't.json', '--', 'b.migseal']).positionals).toEqual(['b.migseal']);
  });

  it("keeps the command's --json and --help away from migseal", () => {
    expect(ownArguments(['exec', 'b', '--', 'tool', '--json', '--help'])).toEqual(['exec', 'b']);
  });
});
