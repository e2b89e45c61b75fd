/**
 * Lint figures: the built CLI lints a generated history of realistic PostgreSQL migrations
 * (bench/lint-corpus.mjs). Prints wall time per run (median), the analysis time the command
 * reports, and the findings on the safe corpus (must be none) and on the unsafe additions.
 * With squawk installed (npm squawk-cli), also lints each file with it and lists where the
 * two disagree.
 *
 *   npm run build && node bench/lint.mjs          LINT_COUNT=500 for a bigger history
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib.mjs';
import { safeMigrations, UNSAFE } from './lint-corpus.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COUNT = Number(process.env.LINT_COUNT ?? 240);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const tmp = mkdtempSync(join(tmpdir(), 'migseal-lint-bench-'));
for (const part of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, part), join(tmp, `app/${part}`), { recursive: true });
symlinkSync(join(ROOT, 'node_modules'), join(tmp, 'app/node_modules'));
const BIN = join(tmp, 'app/bin/migseal.js');

function write(dir, files) {
  mkdirSync(dir, { recursive: true });
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

function lint(dir) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, 'lint', dir, '--dialect', 'postgres', '--format', 'json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0 && r.status !== 2) throw new Error(`lint exited ${r.status}: ${r.stderr}`);
  return { ms, code: r.status, report: JSON.parse(r.stdout) };
}

const safe = safeMigrations(COUNT);
const safeDir = write(join(tmp, 'safe'), safe);
const unsafeFiles = Object.fromEntries(UNSAFE.map(([name, sql], i) => [`${9000 + i}_${name}.up.sql`, `${sql}\n`]));
const unsafeDir = write(join(tmp, 'unsafe'), { ...safe, ...unsafeFiles });

const runs = Array.from({ length: RUNS }, () => lint(safeDir));
const first = runs[0].report;
const inProcess = spawnSync(process.execPath, [BIN, 'lint', safeDir, '--dialect', 'postgres'], { encoding: 'utf8' }).stdout.match(/read in (\d+) ms/)?.[1];
console.log(`lint, ${first.migrations} safe PostgreSQL migrations (${Object.keys(safe).length} files with downs):`);
console.log(`  wall time per run   ${median(runs.map((r) => r.ms)).toFixed(0)} ms (median of ${RUNS}, process start included)`);
console.log(`  analysis            ${inProcess} ms (as the command reports it: layout, parse, rules)`);
const upOnly = (findings) => findings.filter((f) => f.direction !== 'down');
console.log(`  findings            ${upOnly(first.findings).length} in up scripts (false positives; expected 0), exit ${runs[0].code}; ${first.findings.length - upOnly(first.findings).length} in down scripts (judged at rollback)`);
const unsafe = lint(unsafeDir);
const expected = UNSAFE.map(([name, , rule], i) => [`${9000 + i}_${name}.up.sql`, rule]);
const missed = expected.filter(([file, rule]) => !unsafe.report.findings.some((f) => f.file === file && f.rule === rule));
const extra = upOnly(unsafe.report.findings).filter((f) => !unsafeFiles[f.file]);
console.log(`  unsafe additions    ${UNSAFE.length} files, ${upOnly(unsafe.report.findings).length} findings, exit ${unsafe.code}; missed ${missed.length}${missed.length ? `: ${missed.map((m) => m.join(' ')).join(', ')}` : ''}; outside them ${extra.length}`);

compareWithSquawk(unsafeDir, unsafe.report.findings, { ...safe, ...unsafeFiles });
rmSync(tmp, { recursive: true, force: true });

function compareWithSquawk(dir, ours, files) {
  const squawk = process.env.SQUAWK ?? join(ROOT, 'node_modules/.bin/squawk');
  if (!existsSync(squawk)) return void console.log('  squawk              not installed (npm install squawk-cli somewhere, then SQUAWK=path/to/squawk)');
  const upFiles = Object.keys(files).filter((f) => f.endsWith('.up.sql'));
  const started = process.hrtime.bigint();
  const r = spawnSync(squawk, ['--reporter', 'json', ...upFiles.map((f) => join(dir, f))], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  let theirs;
  try {
    theirs = JSON.parse(r.stdout);
  } catch {
    return void console.log(`  squawk              could not read its output (exit ${r.status}): ${r.stderr.slice(0, 300)}`);
  }
  const byFile = new Map();
  for (const v of theirs) {
    const file = String(v.file).split('/').pop();
    if (!byFile.has(file)) byFile.set(file, []);
    byFile.get(file).push(v.rule_name);
  }
  console.log(`  squawk ${spawnSync(squawk, ['--version'], { encoding: 'utf8' }).stdout.trim()}: ${upFiles.length} files in ${ms.toFixed(0)} ms, ${theirs.length} violations`);
  const oursByFile = new Map();
  for (const f of ours) oursByFile.set(f.file, [...(oursByFile.get(f.file) ?? []), f.rule]);
  const onSafe = new Map();
  for (const file of upFiles.filter((f) => !unsafeFiles[f])) for (const rule of new Set(byFile.get(file) ?? [])) onSafe.set(rule, [...(onSafe.get(rule) ?? []), file]);
  console.log('    squawk rules on the safe files (migseal reports nothing there):');
  for (const [rule, list] of [...onSafe].sort((a, b) => b[1].length - a[1].length)) console.log(`      ${rule.padEnd(36)} ${String(list.length).padStart(4)} files, e.g. ${list[0]}`);
  console.log('    the unsafe files:');
  for (const file of Object.keys(unsafeFiles)) console.log(`      ${file.padEnd(32)} migseal: ${(oursByFile.get(file) ?? []).join(', ') || '-'} | squawk: ${[...new Set(byFile.get(file) ?? [])].join(', ') || '-'}`);
}
