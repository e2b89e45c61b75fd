#!/usr/bin/env node
// Fuzzes every reader of untrusted bytes (test/fuzz/targets.ts) for a number of executions each.
//
//   node scripts/fuzz.mjs [--runs N | --until-total N] [--seconds S] [--target NAME]... [--engine jazzer|mutate] [--max-len BYTES] [--prototype-pollution]
//   node scripts/fuzz.mjs --ledger        executions per target and engine, summed over every run recorded
//   node scripts/fuzz.mjs --target NAME --replay FILE...   runs the target once on each file: time, and what it threw
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
//
// Every run of a target, finished or stopped, is recorded in .fuzz/ledger.json: target, engine,
// executions, seconds, exec/s, libFuzzer's final coverage (cov: edges, ft: features), findings,
// how it ended and the commit it ran on; its output is kept in .fuzz/logs/. --until-total N runs
// each target only for what its ledger total (for that engine) lacks of N. SIGINT or SIGTERM
// stops the run in progress between two inputs: its executions are still counted and recorded.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, '.fuzz');
const JAZZER = join(ROOT, '.tools/jazzer/node_modules/@jazzer.js/core/dist/cli.js');
const NAMES = ['bundle-archive', 'tar', 'strict-json', 'manifest', 'trust-policy', 'sigstore-bundle', 'dbmate-sections', 'layouts', 'pg-common-ddl', 'canonical-json'];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string' },
    'until-total': { type: 'string' },
    seconds: { type: 'string' },
    ledger: { type: 'boolean', default: false },
    replay: { type: 'boolean', default: false },
    target: { type: 'string', multiple: true },
    engine: { type: 'string' },
    'max-len': { type: 'string' },
    'prototype-pollution': { type: 'boolean', default: false },
  },
});
const LEDGER = join(OUT, 'ledger.json');
if (values.ledger) {
  printLedger(readLedger());
  process.exit(0);
}
if (positionals.length && !values.replay) throw new Error(`unexpected ${positionals[0]}: only --replay takes files`);
if (values.runs && values['until-total']) throw new Error('--runs and --until-total exclude each other');
// --seconds alone runs for that long, however many executions that is.
const runs = values.runs !== undefined ? Number(values.runs) : values.seconds !== undefined ? Infinity : 100000;
const untilTotal = values['until-total'] === undefined ? undefined : Number(values['until-total']);
for (const [flag, n] of [['--runs', Number(values.runs ?? 0)], ['--until-total', untilTotal ?? 0], ['--seconds', Number(values.seconds ?? 1)]]) {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} takes a whole number`);
}
// The longest input libFuzzer makes, per target. A layout listing reaches every layout rule and the SQL parser's
// transaction-mode reading in a few kilobytes (the seeds are under 4 kB), while each kilobyte more of SQL costs a
// parse under two dialects: at 64 kB the target ran at a tenth of its speed. A bundle reaches the gzip, tar and
// entry rules in a few entries. A script of common statements reaches every rule of their reader in a few hundred
// bytes, and each input the reader reads is parsed again by libpg_query. The rest keep 64 kB.
const MAX_LEN = { layouts: 8192, 'bundle-archive': 16384, 'pg-common-ddl': 4096 };
const maxLenOf = (name) => values['max-len'] ?? String(MAX_LEN[name] ?? 65536);
const names = values.target ?? NAMES;
const engine = values.engine ?? (existsSync(JAZZER) ? 'jazzer' : 'mutate');
for (const name of names) if (!NAMES.includes(name)) throw new Error(`unknown target ${name}; targets: ${NAMES.join(', ')}`);
if (engine === 'jazzer' && !existsSync(JAZZER)) throw new Error('Jazzer.js is not installed: run scripts/fuzz-setup.sh');

// A signal stops the run in progress (the fuzzer, in its own process group so that a terminal's Ctrl-C reaches it only
// through here, ends between two inputs and prints its final stats), records it, and starts no other target.
const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
let stoppedBy;
let running;
for (const signal of Object.keys(SIGNALS)) {
  process.on(signal, () => {
    if (!running) process.exit(128 + SIGNALS[signal]);
    if (!stoppedBy) console.error(`fuzz: ${signal}: stopping ${running.name}; its executions so far are recorded`);
    stoppedBy ??= signal;
    running.child?.kill('SIGTERM');
  });
}
const commit = gitCommit();

// One CommonJS file holding the targets and all of migseal's code they reach, so that Jazzer.js instruments it.
// CommonJS has no top-level await: the SQL parser's module load becomes a promise the target awaits once.
const deferWasmLoad = {
  name: 'defer-wasm-load',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]lint[\\/]pg[\\/][^\\/]+\.ts$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const source = await readFile(args.path, 'utf8');
      const contents = source
        .replace(/^await loadModule\(\);$/m, '(globalThis.__migsealFuzzReady ??= []).push(loadModule());')
        // The package imported where it is first needed (libpg.ts): required, and its load deferred the same way.
        .replace(/^const (\w+) = await import\('libpg-query'\);$/m, "const $1 = require('libpg-query');")
        .replace(/^await (\w+)\.loadModule\(\);$/m, '(globalThis.__migsealFuzzReady ??= []).push($1.loadModule());');
      return { contents, loader: 'ts' };
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

if (values.replay) {
  const [name] = names;
  if (names.length !== 1) throw new Error('--replay needs one --target');
  const target = targetModule.targets(targetModule.loadWorld(world)).find((t) => t.name === name);
  let failed = 0;
  for (const file of positionals) {
    const t0 = performance.now();
    let outcome = 'returned';
    try {
      await target.run(readFileSync(file));
    } catch (error) {
      try {
        targetModule.judge(target, error);
        outcome = `coded error ${error.code ?? error.name}: ${String(error.message).slice(0, 160)}`;
      } catch {
        failed++;
        outcome = `FINDING: ${error?.stack ?? String(error)}`;
      }
    }
    console.log(`${file}: ${(performance.now() - t0).toFixed(0)} ms, ${outcome}`);
  }
  process.exit(failed ? 1 : 0);
}

const results = [];
for (const name of names) {
  if (stoppedBy) break;
  const done = untilTotal === undefined ? 0 : totalOf(readLedger(), name, engine);
  const want = untilTotal === undefined ? runs : untilTotal - done;
  if (want <= 0) {
    console.log(`${name}: ${done} ${engine} executions recorded, at least ${untilTotal}: nothing to run`);
    continue;
  }
  const corpus = join(OUT, 'corpus', name);
  const findings = join(OUT, 'findings', name);
  mkdirSync(corpus, { recursive: true });
  mkdirSync(findings, { recursive: true });
  for (const seed of readdirSync(join(world, 'seeds', name))) copyFileSync(join(world, 'seeds', name, seed), join(corpus, seed));
  const before = new Set(readdirSync(findings));
  const started = new Date();
  running = { name };
  const result = engine === 'jazzer' ? await runJazzer(name, want, corpus, findings, started) : await runMutate(name, want, findings);
  running = undefined;
  // libFuzzer writes slow-unit-* for each input slower than the slowest before it (10 s and up); a pause of the
  // process makes one too. Only a crash, a timeout (the --timeout watchdog) or memory beyond the limit is a finding.
  const added = readdirSync(findings).filter((file) => !before.has(file));
  result.findings = added.filter((file) => !file.startsWith('slow-unit-')).map((file) => join('.fuzz', 'findings', name, file));
  result.slowUnits = added.filter((file) => file.startsWith('slow-unit-')).map((file) => join('.fuzz', 'findings', name, file));
  result.finding ||= result.findings.length > 0;
  results.push(result);
  record({
    target: name,
    engine,
    started: started.toISOString(),
    seconds: Math.round(result.seconds),
    executions: result.executions,
    execPerSec: result.rate ?? Math.round(result.executions / result.seconds),
    ...(result.cov !== undefined && { cov: result.cov, ft: result.ft }),
    ...(result.corpusUnits !== undefined && { corpusUnits: result.corpusUnits }),
    ...(result.rssMb !== undefined && { peakRssMb: result.rssMb }),
    maxLen: engine === 'jazzer' ? Number(maxLenOf(name)) : undefined,
    ended: result.ended,
    findings: result.findings,
    ...(result.slowUnits?.length && { slowUnits: result.slowUnits }),
    ...(result.log && { log: result.log }),
    commit,
  });
  const rate = result.rate ?? Math.round(result.executions / result.seconds);
  console.log(
    `${name}: ${result.executions} executions in ${result.seconds.toFixed(0)} s (${rate}/s while fuzzing)${result.cov !== undefined ? `, cov ${result.cov} ft ${result.ft}` : ''}${result.rssMb ? `, peak RSS ${result.rssMb} MB` : ''}, ${result.ended}, ${result.finding ? `FINDING in ${findings}` : 'no finding'}; ${totalOf(readLedger(), name, engine)} ${engine} executions in the ledger`,
  );
}
const found = results.filter((r) => r.finding);
console.log(`\nengine ${engine}: ${results.length} targets, ${results.reduce((n, r) => n + r.executions, 0)} executions, ${found.length} with findings${stoppedBy ? `, stopped by ${stoppedBy}` : ''}`);
process.exitCode = found.length ? 1 : stoppedBy ? 128 + SIGNALS[stoppedBy] : 0;

function runJazzer(name, want, corpus, findings, started) {
  const async = targetModule.targets(targetModule.loadWorld(world)).find((t) => t.name === name).async;
  const args = [
    JAZZER, bundle, corpus,
    ...(async ? [] : ['--sync']),
    '--timeout', '10000',
    // Reading key files at paths a policy names is the policy's job, not a path traversal.
    ...(values['prototype-pollution'] ? ['--disable_bug_detectors', 'path-traversal', '--disable_bug_detectors', 'command-injection'] : ['--disable_bug_detectors', '.*']),
    '--',
    ...(Number.isFinite(want) ? [`-runs=${want}`] : []),
    ...(values.seconds ? [`-max_total_time=${values.seconds}`] : []),
    `-max_len=${maxLenOf(name)}`,
    '-rss_limit_mb=2048',
    '-print_final_stats=1',
    `-artifact_prefix=${findings}/`,
  ];
  const logs = join(OUT, 'logs');
  mkdirSync(logs, { recursive: true });
  const logPath = join(logs, `${name}-${started.toISOString().replace(/[:.]/g, '-')}.log`);
  const log = createWriteStream(logPath);
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { env: { ...process.env, MIGSEAL_FUZZ_TARGET: name, MIGSEAL_FUZZ_WORLD: world }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.child = child;
    if (stoppedBy) child.kill('SIGTERM');
    // libFuzzer's lines, read as they come: the last status line's coverage, the closing DONE line and the final stats.
    const seen = { stat: {} };
    const lines = { stdout: '', stderr: '' };
    const read = (stream) => (chunk) => {
      log.write(chunk);
      const text = lines[stream] + chunk;
      const parts = text.split('\n');
      lines[stream] = parts.pop().slice(-4096);
      for (const line of parts) {
        const cov = /cov: (\d+) ft: (\d+)(?: corp: (\d+)\/)?/.exec(line);
        if (cov) Object.assign(seen, { cov: Number(cov[1]), ft: Number(cov[2]), ...(cov[3] && { corp: Number(cov[3]) }) });
        const done = /#(\d+)\s+DONE .*exec\/s: (\d+)/.exec(line);
        if (done) seen.done = { executions: Number(done[1]), rate: Number(done[2]) };
        const stat = /stat::(\w+):\s+(\d+)/.exec(line);
        if (stat) seen.stat[stat[1]] = Number(stat[2]);
        if (/run interrupted; exiting/.test(line)) seen.interrupted = true;
      }
    };
    child.stdout.on('data', read('stdout'));
    child.stderr.on('data', read('stderr'));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      log.end();
      const stat = (key) => seen.stat[key];
      const executions = stat('number_of_executed_units') ?? seen.done?.executions ?? 0;
      // 0: the runs or the time were used up; 72 (libFuzzer's interrupt code): stopped by a signal, with its final stats.
      // 70: an input ran longer than --timeout; 130 or a signal after a stop: a second signal ended it mid-input.
      const killed = stoppedBy !== undefined && (signal !== null || code === 130);
      const ended =
        code === 0 ? 'finished'
        : code === 72 && seen.interrupted ? `stopped by ${stoppedBy ?? 'a signal'}`
        : code === 70 ? 'timeout'
        : killed ? `killed (${signal ?? code}), executions unknown`
        : `ended with ${signal ?? `code ${code}`}`;
      resolvePromise({
        name,
        executions,
        seconds: (performance.now() - t0) / 1000,
        rate: stat('average_exec_per_sec') ?? seen.done?.rate,
        rssMb: stat('peak_rss_mb'),
        cov: seen.cov,
        ft: seen.ft,
        corpusUnits: seen.corp,
        ended,
        log: join('.fuzz', 'logs', logPath.slice(logs.length + 1)),
        finding: !(code === 0 || (code === 72 && seen.interrupted) || killed),
      });
    });
  });
}

async function runMutate(name, want, findings) {
  const { mutate, prng, targets, loadWorld, judge } = targetModule;
  const loaded = loadWorld(world);
  const target = targets(loaded).find((t) => t.name === name);
  const seeds = loaded.seeds[name];
  const random = prng(Date.now());
  const started = performance.now();
  let executions = 0;
  const deadline = values.seconds ? started + Number(values.seconds) * 1000 : Infinity;
  const result = (extra) => ({ name, executions, seconds: (performance.now() - started) / 1000, finding: false, ended: 'finished', ...extra });
  for (; executions < want && performance.now() < deadline; executions++) {
    // Let a signal's handler run.
    if (executions % 1000 === 0) await new Promise(setImmediate);
    if (stoppedBy) return result({ ended: `stopped by ${stoppedBy}` });
    const data = mutate(seeds, random);
    try {
      await target.run(data);
    } catch (error) {
      try {
        judge(target, error);
      } catch {
        writeFileSync(join(findings, `crash-${executions}`), data);
        executions++;
        return result({ finding: true, ended: 'finding' });
      }
    }
  }
  return result();
}

function readLedger() {
  return existsSync(LEDGER) ? JSON.parse(readFileSync(LEDGER, 'utf8')) : [];
}

// Appends one run, written whole and renamed into place so that a stop mid-write loses nothing recorded before.
function record(entry) {
  const ledger = readLedger();
  ledger.push(entry);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${LEDGER}.tmp`, `${JSON.stringify(ledger, null, 1)}\n`);
  renameSync(`${LEDGER}.tmp`, LEDGER);
}

function totalOf(ledger, target, engineName) {
  return ledger.filter((e) => e.target === target && e.engine === engineName).reduce((n, e) => n + e.executions, 0);
}

function printLedger(ledger) {
  console.log(`${LEDGER}: ${ledger.length} runs`);
  const rows = new Map();
  for (const e of ledger) {
    const key = `${e.target}\t${e.engine}`;
    const row = rows.get(key) ?? { target: e.target, engine: e.engine, runs: 0, executions: 0, seconds: 0, findings: 0 };
    row.runs++;
    row.executions += e.executions;
    row.seconds += e.seconds;
    row.findings += e.findings.length;
    if (e.cov !== undefined) Object.assign(row, { cov: e.cov, ft: e.ft });
    rows.set(key, row);
  }
  console.log('target           engine  runs  executions   seconds  exec/s  last cov/ft    findings');
  for (const r of rows.values()) {
    console.log(
      `${r.target.padEnd(16)} ${r.engine.padEnd(7)} ${String(r.runs).padStart(4)} ${String(r.executions).padStart(11)} ${String(r.seconds).padStart(9)} ${String(Math.round(r.executions / Math.max(r.seconds, 1))).padStart(7)}  ${(r.cov === undefined ? '-' : `${r.cov}/${r.ft}`).padEnd(13)} ${r.findings}`,
    );
  }
}

function gitCommit() {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+changes` : head;
  } catch {
    return undefined;
  }
}
