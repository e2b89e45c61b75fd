/**
 * Measuring tools for the bench: wall time of a process (median of several runs), its peak
 * resident memory, and start-up time through hyperfine when installed or a plain loop when not.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs a command to completion; throws with its stderr when it fails. Returns milliseconds. */
export function run(command, args, options = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024, ...options });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${String(result.stderr).slice(0, 2000)}`);
  }
  return ms;
}

/** A shell pipeline, timed as a whole. */
export function shell(script, options = {}) {
  return run('sh', ['-c', `set -e\n${script}`], options);
}

/** Median wall time in ms of `runs` calls of `fn` (each returning ms), after `before` resets state. */
export function timed(fn, { runs = 3, before } = {}) {
  const all = [];
  for (let i = 0; i < runs; i++) {
    before?.();
    all.push(fn());
  }
  return { median: median(all), all };
}

/**
 * Peak resident set size (bytes) of one run of a node script. Uses GNU time when present;
 * otherwise runs the script under a node wrapper that reports its own maxRSS at exit.
 */
export function peakRss(script, args, { tmp, cwd } = {}) {
  if (existsSync(GNU_TIME)) {
    const out = join(tmp, 'time-v.txt');
    const ms = run(GNU_TIME, ['-v', '-o', out, process.execPath, script, ...args], { cwd });
    const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(out, 'utf8'));
    rmSync(out, { force: true });
    if (match) return { bytes: Number(match[1]) * 1024, ms, how: 'GNU time -v' };
  }
  const wrapper = [
    "process.on('exit', () => process.stderr.write(`\\nMAXRSS_KB=${process.resourceUsage().maxRSS}\\n`));",
    `process.argv.splice(1, 0, ${JSON.stringify(script)});`,
    `await import(${JSON.stringify(new URL(`file://${script}`).href)});`,
  ].join('\n');
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', wrapper, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`peak memory run failed: ${result.stderr.slice(0, 2000)}`);
  const kb = /MAXRSS_KB=(\d+)/.exec(result.stderr);
  return { bytes: Number(kb?.[1] ?? NaN) * 1024, ms, how: 'process.resourceUsage().maxRSS' };
}

function hasHyperfine() {
  const probe = spawnSync('hyperfine', ['--version'], { stdio: 'ignore' });
  return probe.status === 0;
}

/**
 * Median start-up time of each command (argv arrays), in ms. hyperfine runs them without a
 * shell when installed; otherwise a node loop runs them in turn, round-robin, so drift in
 * machine load affects every command alike.
 */
export function startupTimes(commands, { runs = 30, warmup = 3, tmp, cwd } = {}) {
  if (hasHyperfine()) {
    const out = join(tmp, 'hyperfine.json');
    const quoted = commands.map((argv) => argv.map((a) => (/^[\w./=:@-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' '));
    run('hyperfine', ['-N', '--style', 'none', '--warmup', String(warmup), '--runs', String(runs), '--export-json', out, ...quoted], { cwd });
    const results = JSON.parse(readFileSync(out, 'utf8')).results;
    rmSync(out, { force: true });
    return { how: 'hyperfine', medians: results.map((r) => r.median * 1000) };
  }
  const samples = commands.map(() => []);
  for (let i = 0; i < warmup + runs; i++) {
    commands.forEach(([command, ...args], c) => {
      const ms = run(command, args, { cwd });
      if (i >= warmup) samples[c].push(ms);
    });
  }
  return { how: 'node loop (hyperfine not installed)', medians: samples.map(median) };
}

export function formatMs(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

export function formatMb(bytes) {
  return `${(bytes / 1024 ** 2).toFixed(0)} MB`;
}

/** A plain-text table: the first row is the header. */
export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r) => r.map((cell, c) => String(cell).padEnd(widths[c])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
