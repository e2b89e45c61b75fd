/**
 * The module Jazzer.js loads (built by scripts/fuzz.mjs into one CommonJS file, so that the
 * whole of migseal's reading code is instrumented): the target named by MIGSEAL_FUZZ_TARGET,
 * over the world in MIGSEAL_FUZZ_WORLD. A finding is thrown on to the fuzzer.
 */
import { judge, loadWorld, targets } from './targets.js';

export { loadWorld, targets, judge } from './targets.js';
export { mutate, prng } from './mutate.js';

const name = process.env.MIGSEAL_FUZZ_TARGET;
const worldDir = process.env.MIGSEAL_FUZZ_WORLD;
const target = name && worldDir ? targets(loadWorld(worldDir)).find((t) => t.name === name) : undefined;
if (name && !target) throw new Error(`no fuzz target named ${name}`);

// Modules that load WebAssembly at the top level (the SQL parser) do it through this promise
// list in the CommonJS build; a target that reaches them runs asynchronously and waits once.
declare global {
  var __migsealFuzzReady: Array<Promise<unknown>> | undefined;
}
let ready = false;

export function fuzz(data: Buffer): void | Promise<void> {
  if (!target) throw new Error('MIGSEAL_FUZZ_TARGET and MIGSEAL_FUZZ_WORLD name the target and its world');
  if (target.async) {
    return (async () => {
      if (!ready) await Promise.all(globalThis.__migsealFuzzReady ?? []);
      ready = true;
      try {
        await target.run(data);
      } catch (error) {
        judge(target, error);
      }
    })();
  }
  try {
    target.run(data);
  } catch (error) {
    judge(target, error);
  }
}
