/**
 * `migseal verify` starts fast because it loads only what it checks with: the built CLI is
 * run with a hook recording every module it loads (bundled chunks and CommonJS packages),
 * and none of the signing, network, database or certificate-authority stacks may be among them.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { recordModuleLoads } from '../helpers/module-loads.js';
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
  const recording = recordModuleLoads(world.dir, 'verify');
  const result = spawnSync(process.execPath, [...recording.nodeArgs, BIN, 'verify', bundle, '--trust', world.policy], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  expect(result.status, result.stderr).toBe(0);

  const { files, packages } = recording.loaded();
  expect(packages).toContain('@sigstore/verify');
  // One file of migseal's own: the one built for verify alone, not the chunks shared between commands.
  const ownFiles = files.filter((p) => /\/dist\/.*\.js$/.test(p));
  expect(ownFiles.map((p) => p.replace(/^.*\/dist\//, 'dist/'))).toEqual(['dist/commands/verify.js']);
  expect(packages.filter((p) => NEVER_ON_VERIFY.includes(p))).toEqual([]);
});
