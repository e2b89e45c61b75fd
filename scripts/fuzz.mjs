#!/usr/bin/env node
// Fuzzes every reader of untrusted bytes (test/fuzz/targets.ts) for a number of executions each.
//
//   node scripts/fuzz.mjs [--runs N] [--seconds S] [--target NAME]... [--engine jazzer|mutate] [--max-len BYTES] [--prototype-pollution]
//
// The jazzer engine (default when scripts/fuzz-setup.sh has installed it) is coverage-guided:
// Jazzer.js instruments migseal's code, bundled into one CommonJS file, and libFuzzer mutates
// towards new coverage; inputs that found new coverage are kept in .fuzz/corpus/<target>/ and
// reused by the next run. The mutate engine runs the test suite's seeded mutator without
// coverage feedback. A finding (any error other than a coded one, a hang, memory beyond the
// limit) is written to .fuzz/findings/<target>/ and the run exits non-zero; copy the input to
// test/fuzz/regressions/<target>/ once fixed. Not part of CI: the test suite runs a short
// mutate pass of each target. Jazzer.js's prototype-pollution detector finds what strict JSON
// already refuses (__proto__ keys; objects without a prototype) at a tenth of the speed, so it
// runs only with --prototype-pollution.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, '.fuzz');
const JAZZER = join(ROOT, '.tools/jazzer/node_modules/@jazzer.js/core/dist/cli.js');
const NAMES = ['bundle-archive', 'tar', 'strict-json', 'manifest', 'trust-policy', 'sigstore-bundle', 'dbmate-sections', 'layouts'];

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100000' },
    seconds: { type: 'string' },
    target: { type: 'string', multiple: true },
    engine: { type: 'string' },
    'max-len': { type: 'string' },
    'prototype-pollution': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
// The longest input libFuzzer makes, per target. A layout listing reaches every layout rule and the SQL parser's
// transaction-mode reading in a few kilobytes (the seeds are under 4 kB), while each kilobyte more of SQL costs a
// parse under two dialects: at 64 kB the target ran at a tenth of its speed. A bundle reaches the gzip, tar and
// entry rules in a few entries. The rest keep 64 kB.
const MAX_LEN = { layouts: 8192, 'bundle-archive': 16384 };
const maxLenOf = (name) => values['max-len'] ?? String(MAX_LEN[name] ?? 65536);
const names = values.target ?? NAMES;
const engine = values.engine ?? (existsSync(JAZZER) ? 'jazzer' : 'mutate');
for (const name of names) if (!NAMES.includes(name)) throw new Error(`unknown target ${name}; targets: ${NAMES.join(', ')}`);
if (engine === 'jazzer' && !existsSync(JAZZER)) throw new Error('Jazzer.js is not installed: run scripts/fuzz-setup.sh');

// One CommonJS file holding the targets and all of migseal's code they reach, so that Jazzer.js instruments it.
// CommonJS has no top-level await: the SQL parser's module load becomes a promise the target awaits once.
const deferWasmLoad = {
  name: 'defer-wasm-load',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]lint[\\/]pg[\\/][^\\/]+\.ts$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const source = await readFile(args.path, 'utf8');
      return { contents: source.replace(/^await loadModule\(\);$/m, '(globalThis.__migsealFuzzReady ??= []).push(loadModule());'), loader: 'ts' };
    });
  },
};
const bundle = join(OUT, 'build', 'fuzz-target.js');
mkdirSync(join(OUT, 'build'), { recursive: true });
writeFileSync(join(OUT, 'build', 'package.json'), '{ "type": "commonjs" }\n');
await build({
  entryPoints: [join(ROOT, 'test/fuzz/jazzer-target.ts')],
  outfile: bundle,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'pg-native', 'libpg-query', 'esbuild', 'vitest'],
  define: { 'import.meta.url': '__migsealFuzzUrl', 'import.meta.dirname': '__dirname' },
  plugins: [deferWasmLoad],
  banner: { js: "const __migsealFuzzUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'error',
});

// The world (a key, a policy, a signed bundle, seeds) is made by packing, as ESM: packing's analysis loads WebAssembly at the top level.
const worldMaker = join(OUT, 'build', 'world.mjs');
await build({
  entryPoints: [join(ROOT, 'test/fuzz/world.ts')],
  outfile: worldMaker,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'pg-native', 'libpg-query', 'esbuild', 'vitest'],
  banner: { js: "import { createRequire as __fuzzCreateRequire } from 'node:module'; const require = __fuzzCreateRequire(import.meta.url);" },
  logLevel: 'error',
});
const world = join(OUT, 'world');
rmSync(world, { recursive: true, force: true });
mkdirSync(world, { recursive: true });
chmodSync(world, 0o700);
await (await import(worldMaker)).makeWorld(world);
const targetModule = createRequire(import.meta.url)(bundle);

const results = [];
for (const name of names) {
  const corpus = join(OUT, 'corpus', name);
  const findings = join(OUT, 'findings', name);
  mkdirSync(corpus, { recursive: true });
  mkdirSync(findings, { recursive: true });
  for (const seed of readdirSync(join(world, 'seeds', name))) copyFileSync(join(world, 'seeds', name, seed), join(corpus, seed));
  const result = engine === 'jazzer' ? await runJazzer(name, corpus, findings) : await runMutate(name, findings);
  results.push(result);
  const rate = result.rate ?? Math.round(result.executions / result.seconds);
  console.log(`${name}: ${result.executions} executions in ${result.seconds.toFixed(0)} s (${rate}/s while fuzzing)${result.coverage ? `, coverage ${result.coverage}` : ''}${result.rssMb ? `, peak RSS ${result.rssMb} MB` : ''}, ${result.finding ? `FINDING in ${findings}` : 'no finding'}`);
}
const found = results.filter((r) => r.finding);
console.log(`\nengine ${engine}: ${results.length} targets, ${results.reduce((n, r) => n + r.executions, 0)} executions, ${found.length} with findings`);
process.exitCode = found.length ? 1 : 0;

function runJazzer(name, corpus, findings) {
  const async = targetModule.targets(targetModule.loadWorld(world)).find((t) => t.name === name).async;
  const args = [
    JAZZER, bundle, corpus,
    ...(async ? [] : ['--sync']),
    '--timeout', '10000',
    // Reading key files at paths a policy names is the policy's job, not a path traversal.
    ...(values['prototype-pollution'] ? ['--disable_bug_detectors', 'path-traversal', '--disable_bug_detectors', 'command-injection'] : ['--disable_bug_detectors', '.*']),
    '--',
    ...(values.seconds ? [`-max_total_time=${values.seconds}`] : [`-runs=${runs}`]),
    `-max_len=${maxLenOf(name)}`,
    '-rss_limit_mb=2048',
    '-print_final_stats=1',
    `-artifact_prefix=${findings}/`,
  ];
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env: { ...process.env, MIGSEAL_FUZZ_TARGET: name, MIGSEAL_FUZZ_WORLD: world }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const keep = (d) => {
      log += d;
      if (log.length > 1 << 20) log = log.slice(-(1 << 19));
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      writeFileSync(join(findings, '..', `${name}.log`), log);
      const stat = (key) => Number(new RegExp(`stat::${key}:\\s+(\\d+)`).exec(log)?.[1] ?? NaN);
      // libFuzzer's closing line, for when its final stats came interleaved with the dictionary on the other stream.
      const done = /#(\d+)\s+DONE .*exec\/s: (\d+)/.exec(log);
      const lastCov = [...log.matchAll(/cov: (\d+) ft: (\d+)/g)].at(-1);
      resolvePromise({
        name,
        executions: Number.isNaN(stat('number_of_executed_units')) ? Number(done?.[1] ?? NaN) : stat('number_of_executed_units'),
        seconds: (performance.now() - started) / 1000,
        rate: Number.isNaN(stat('average_exec_per_sec')) ? Number(done?.[2] ?? NaN) : stat('average_exec_per_sec'),
        rssMb: stat('peak_rss_mb'),
        coverage: lastCov ? `${lastCov[1]} edges, ${lastCov[2]} features` : undefined,
        finding: code !== 0,
      });
    });
  });
}

async function runMutate(name, findings) {
  const { mutate, prng, targets, loadWorld, judge } = targetModule;
  const loaded = loadWorld(world);
  const target = targets(loaded).find((t) => t.name === name);
  const seeds = loaded.seeds[name];
  const random = prng(Date.now());
  const started = performance.now();
  let executions = 0;
  const deadline = values.seconds ? started + Number(values.seconds) * 1000 : Infinity;
  for (; executions < runs && performance.now() < deadline; executions++) {
    const data = mutate(seeds, random);
    try {
      await target.run(data);
    } catch (error) {
      try {
        judge(target, error);
      } catch {
        writeFileSync(join(findings, `crash-${executions}`), data);
        return { name, executions: executions + 1, seconds: (performance.now() - started) / 1000, finding: true };
      }
    }
  }
  return { name, executions, seconds: (performance.now() - started) / 1000, finding: false };
}
