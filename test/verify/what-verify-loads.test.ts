/**
 * `migseal verify` starts fast because it loads only what it checks with: the built CLI is
 * run with a hook recording every module it loads (bundled chunks and CommonJS packages),
 * and none of the signing, network, database or certificate-authority stacks may be among them.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { makeWorld, type World } from '../helpers/verify-world.js';

const NEVER_ON_VERIFY = ['@sigstore/sign', '@sigstore/tuf', 'tuf-js', 'make-fetch-happen', 'node-forge', 'pg', 'pg-native', 'better-sqlite3', 'libpg-query'];

let world: World;
beforeAll(async () => {
  world = await makeWorld();
});
afterAll(() => world?.cleanup());

it('verify loads @sigstore/verify and none of the signing, network or database packages', () => {
  const bundle = join(world.dir, 'load-check.migseal');
  writeFileSync(bundle, world.bundle);
  const hooks = join(world.dir, 'record-loads.mjs');
  const record = join(world.dir, 'loads.txt');
  writeFileSync(
    hooks,
    [
      "import { appendFileSync } from 'node:fs';",
      "import { createRequire } from 'node:module';",
      `const record = ${JSON.stringify(record)};`,
      'export async function load(url, context, next) { appendFileSync(record, url + "\\n"); return next(url, context); }',
      "const { Module } = createRequire(import.meta.url)('node:module');",
      "process.on('exit', () => appendFileSync(record, Object.keys(Module._cache).map((p) => 'file://' + p + '\\n').join('')));",
    ].join('\n'),
  );
  const register = `data:text/javascript,import { register } from 'node:module'; register(${JSON.stringify(new URL(`file://${hooks}`).href)});`;
  const result = spawnSync(process.execPath, ['--import', register, '--import', new URL(`file://${hooks}`).href, BIN, 'verify', bundle, '--trust', world.policy], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  expect(result.status, result.stderr).toBe(0);

  const loaded = readFileSync(record, 'utf8').split('\n').filter((u) => u.startsWith('file://'));
  const packages = new Set<string>();
  for (const url of new Set(loaded)) {
    const path = fileURLToPath(url);
    // A package required at run time, or one bundled into a chunk (esbuild marks each module's origin).
    for (const m of path.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)) packages.add(m[1]!);
    if (/\/dist\/.*\.js$/.test(path)) for (const m of readFileSync(path, 'utf8').matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)) packages.add(m[1]!);
  }
  expect([...packages]).toContain('@sigstore/verify');
  // One file of migseal's own: the one built for verify alone, not the chunks shared between commands.
  const ownFiles = [...new Set(loaded)].map((u) => fileURLToPath(u)).filter((p) => /\/dist\/.*\.js$/.test(p));
  expect(ownFiles.map((p) => p.replace(/^.*\/dist\//, 'dist/'))).toEqual(['dist/commands/verify.js']);
  expect([...packages].filter((p) => NEVER_ON_VERIFY.includes(p))).toEqual([]);
});
