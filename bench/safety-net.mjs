/**
 * The safety net's figures: the schema fingerprint of a database with 1,000 tables (each with
 * four columns, a primary key, a default and an index) on SQLite and PostgreSQL, and a
 * rehearsal of 200 migrations (up, down, up again, a fingerprint after every step) on each,
 * through the CLI. Prints medians. Not a test: exits 0 unless something breaks.
 *
 *   npm run bench:safety-net            (builds, then runs)
 *   BENCH_TABLES=1000 BENCH_MIGRATIONS=200 BENCH_RUNS=3
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeMigrations, writePolicy } from './data.mjs';
import { formatMs, median, run, table } from './lib.mjs';
import { startBenchPostgres } from './postgres.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = process.execPath;
const BIN = join(ROOT, 'bin/migseal.js');
const TABLES = Number(process.env.BENCH_TABLES ?? 1000);
const MIGRATIONS = Number(process.env.BENCH_MIGRATIONS ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const log = (line) => process.stderr.write(`${line}\n`);
const { openDatabase, parseDatabaseUrl, readSchemaFingerprint } = await import(join(ROOT, 'dist/index.js'));

const tmp = mkdtempSync(join(tmpdir(), 'migseal-bench-safety-'));
const at = (name) => join(tmp, name);
const env = { PATH: process.env.PATH, HOME: process.env.HOME, MIGSEAL_AUDIT_LOG: at('audit.jsonl') };
const schema = Array.from(
  { length: TABLES },
  (_, i) => `CREATE TABLE t${i} (id BIGINT PRIMARY KEY, name TEXT NOT NULL, price INTEGER NOT NULL DEFAULT ${i}, created_at TIMESTAMP);\nCREATE INDEX t${i}_name ON t${i} (name);\n`,
).join('');

async function fingerprintMs(url) {
  const driver = await openDatabase(parseDatabaseUrl(url, tmp));
  try {
    await driver.exec(schema);
    const samples = [];
    let objects = 0;
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      objects = (await readSchemaFingerprint(driver)).objects.length;
      samples.push(performance.now() - start);
    }
    return { ms: median(samples), objects };
  } finally {
    await driver.close();
  }
}

function rehearsalMs(bundle, url) {
  const start = performance.now();
  run(NODE, [BIN, 'rehearse', bundle, '--trust', at('trust.json'), '--db', url], { cwd: tmp, env });
  return performance.now() - start;
}

const pg = await startBenchPostgres();
try {
  log(`fingerprint of ${TABLES} tables`);
  const rows = [['what', 'database', 'median', 'runs']];
  const sqlite = await fingerprintMs(`sqlite:${at('fingerprint.sqlite')}`);
  rows.push([`fingerprint, ${TABLES} tables (${sqlite.objects} objects)`, 'SQLite', formatMs(sqlite.ms), RUNS]);
  pg.createDatabase('fingerprint');
  const postgres = await fingerprintMs(pg.url('fingerprint'));
  rows.push([`fingerprint, ${TABLES} tables (${postgres.objects} objects)`, `PostgreSQL (fsync ${pg.fsync ? 'on' : 'off'})`, formatMs(postgres.ms), RUNS]);

  log(`rehearsal of ${MIGRATIONS} migrations`);
  run(NODE, [BIN, 'keys', 'generate', '--out', at('release')], { cwd: tmp, env });
  writePolicy(tmp, 'release');
  const source = writeMigrations(at('migrations'), MIGRATIONS);
  run(NODE, [BIN, 'pack', source, '--project', 'bench', '--release', '1', '--key', at('release.key'), '--out', at('bench.migseal')], { cwd: tmp, env });
  const sqliteRuns = [];
  const pgRuns = [];
  for (let i = 0; i < RUNS; i++) {
    sqliteRuns.push(rehearsalMs(at('bench.migseal'), `sqlite:${at(`rehearse-${i}.sqlite`)}`));
    pg.createDatabase(`rehearse_${i}`);
    pgRuns.push(rehearsalMs(at('bench.migseal'), pg.url(`rehearse_${i}`)));
  }
  rows.push([`rehearse, ${MIGRATIONS} migrations (CLI, verification included)`, 'SQLite', formatMs(median(sqliteRuns)), RUNS]);
  rows.push([`rehearse, ${MIGRATIONS} migrations (CLI, verification included)`, `PostgreSQL (fsync ${pg.fsync ? 'on' : 'off'})`, formatMs(median(pgRuns)), RUNS]);
  process.stdout.write(`${table(rows)}\n`);
} finally {
  await pg.stop();
  rmSync(tmp, { recursive: true, force: true });
}
