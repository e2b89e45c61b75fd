/**
 * A short fuzz run of every target (the long, coverage-guided runs are scripts/fuzz.mjs):
 * each seed, each input saved from a finding (regressions/<target>/), then seeded mutations.
 * Every input must return, or throw only a coded error (or the target's own format error),
 * within a second of CPU time.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, tempDir } from '../helpers/fixtures.js';
import { mutate, prng } from './mutate.js';
import { judge, loadWorld, targets, type FuzzTarget, type FuzzWorld } from './targets.js';
import { makeWorld } from './world.js';

const MUTATIONS = 200;
const SLOW_MS = 1000;
const REGRESSIONS = join(import.meta.dirname, 'regressions');

let dir: string;
let world: FuzzWorld;
beforeAll(async () => {
  dir = tempDir('migseal-fuzz-');
  await makeWorld(dir);
  world = loadWorld(dir);
});
afterAll(() => removeDir(dir));

/** The CPU time one input took in this process (a busy machine's waits do not count; a loop or a blow-up does). */
async function runOnce(target: FuzzTarget, data: Buffer): Promise<number> {
  const started = process.cpuUsage();
  try {
    await target.run(data);
  } catch (error) {
    try {
      judge(target, error);
    } catch (finding) {
      throw new Error(`${target.name}: a finding on input ${data.toString('base64').slice(0, 200)}: ${(finding as Error)?.stack ?? String(finding)}`);
    }
  }
  const { user, system } = process.cpuUsage(started);
  return (user + system) / 1000;
}

// A slow first run may be a parser loading on first use (another dialect's, say): only an
// input that is slow again is a finding.
async function runOne(target: FuzzTarget, data: Buffer): Promise<void> {
  if ((await runOnce(target, data)) < SLOW_MS) return;
  expect(await runOnce(target, data), `${target.name} took too long on ${data.toString('base64').slice(0, 200)}`).toBeLessThan(SLOW_MS);
}

const NAMES = ['bundle-archive', 'tar', 'strict-json', 'manifest', 'trust-policy', 'sigstore-bundle', 'dbmate-sections', 'layouts', 'pg-common-ddl', 'canonical-json'];

describe('fuzz targets, short run', () => {
  it('lists every target, each with seeds', () => {
    expect(targets(world).map((t) => t.name)).toEqual(NAMES);
    for (const name of NAMES) expect(world.seeds[name]?.length, name).toBeGreaterThan(0);
  });

  it.each(NAMES)('%s: seeds, saved findings and mutations throw only coded errors', async (name) => {
    const target = targets(world).find((t) => t.name === name)!;
    const seeds = world.seeds[name]!;
    for (const seed of seeds) await runOne(target, seed);
    const saved = join(REGRESSIONS, name);
    if (existsSync(saved)) for (const file of readdirSync(saved)) await runOne(target, readFileSync(join(saved, file)));
    const random = prng(NAMES.indexOf(name) + 1);
    for (let i = 0; i < MUTATIONS; i++) await runOne(target, mutate(seeds, random));
  });
});
