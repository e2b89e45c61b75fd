/**
 * The command files the CLI loads are ASCII, so Node reads each as one byte a character: a
 * single other character anywhere in a file (a dependency's comment) makes it hold and scan the
 * whole file as UTF-16. The build spells such characters in comments as escapes; a command file
 * with one left would cost every run of that command.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const DIST = join(import.meta.dirname, '../../dist');

it('the files apply, verify, plan and pack load are ASCII', () => {
  for (const command of ['apply', 'verify', 'plan', 'pack']) {
    const text = readFileSync(join(DIST, 'commands', `${command}.js`), 'utf8');
    expect([...text.matchAll(/[^\x00-\x7f]/gu)].map((m) => m[0]), command).toEqual([]);
  }
});
