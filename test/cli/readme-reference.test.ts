import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/table.js';
import { commandReference, REFERENCE_BEGIN, REFERENCE_END } from '../../src/cli/reference.js';

describe('README command reference', () => {
  it('matches the command table (run npm run docs after changing a command)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf(REFERENCE_BEGIN), readme.indexOf(REFERENCE_END) + REFERENCE_END.length);
    expect(section).toBe(commandReference(COMMANDS));
  });

  it('documents every error code', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const errors = readFileSync(new URL('../../src/errors.ts', import.meta.url), 'utf8');
    const codes = [...errors.matchAll(/^  ([A-Z_]+): [123],$/gm)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThan(10);
    for (const code of codes) expect(readme, `README lacks ${code}`).toContain(`\`${code}\``);
  });
});
