/**
 * The apply bench: 500 small migrations applied to a fresh PostgreSQL database and a fresh
 * SQLite file, by migseal (verification included) and, in the same run, by
 *   - the floor: one connection, each file in its own transaction, nothing else (bench/apply-floor.mjs);
 *   - psql -1 -f / sqlite3 over the concatenated SQL in one transaction;
 *   - dbmate and postgrator over the same SQL in their own layouts.
 * Prints the median times and migseal's ratio to each. Not a test: exits 0 unless something breaks.
 *
 *   npm run bench:apply                  (builds, then runs: about 10 minutes on 2 cores)
 *   BENCH_MIGRATIONS=500 BENCH_RUNS=3     migrations, runs per figure (median)
 *   BENCH_PG_FSYNC=off                    a PostgreSQL without fsync (the default keeps the server's durable settings)
 *   BENCH_DATABASES=sqlite                the databases to measure (postgres, sqlite; both by default)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeMigrations, writePolicy } from './data.mjs';
import { formatMs, median, run, table } from './lib.mjs';
import { startBenchPostgres } from './postgres.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = process.execPath;
const COUNT = Number(process.env.BENCH_MIGRATIONS ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DATABASES = new Set((process.env.BENCH_DATABASES ?? 'postgres,sqlite').split(','));
const log = (line) => process.stderr.write(`${line}\n`);

const tmp = mkdtempSync(join(tmpdir(), 'migseal-bench-apply-'));
const at = (name) => join(tmp, name);
// A snapshot of the built CLI, so a rebuild in the checkout during the run cannot disturb it.
for (const part of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, part), at(`app/${part}`), { recursive: true });
symlinkSync(join(ROOT, 'node_modules'), at('app/node_modules'));
const BIN = at('app/bin/migseal.js');
const DBMATE = join(ROOT, '.tools/dbmate/bin/dbmate'); // installed by scripts/peer-tools.sh
const env = { PATH: process.env.PATH, HOME: process.env.HOME, MIGSEAL_AUDIT_LOG: at('audit.jsonl') };
const has = (command) => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;

/** The same migrations in each tool's layout, and as one concatenated script. */
function layouts() {
  const source = writeMigrations(at('golang-migrate'), COUNT);
  const ups = readdirSync(source).filter((f) => f.endsWith('.up.sql')).sort();
  mkdirSync(at('dbmate'));
  mkdirSync(at('postgrator'));
  let concatenated = '';
  for (const up of ups) {
    const [version, ...rest] = up.replace(/\.up\.sql$/, '').split('_');
    const upSql = readFileSync(join(source, up), 'utf8');
    const downSql = readFileSync(join(source, up.replace('.up.sql', '.down.sql')), 'utf8');
    writeFileSync(at(`dbmate/${version}_${rest.join('_')}.sql`), `-- migrate:up\n${upSql}\n-- migrate:down\n${downSql}`);
    writeFileSync(at(`postgrator/${version}.do.${rest.join('-')}.sql`), upSql);
    concatenated += upSql;
  }
  writeFileSync(at('all.sql'), concatenated);
  writeFileSync(at('all-sqlite.sql'), `.bail on\nBEGIN;\n${concatenated}COMMIT;\n`);
  return source;
}

let fresh = 0;
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const GNU_TIME = '/usr/bin/time';
const withTime = existsSync(GNU_TIME);

/**
 * Runs a command; returns its wall time and, with GNU time, the CPU time (user + sys) of the
 * process and its children. On a shared, loaded machine wall times drift; CPU time does not.
 */
function timedRun(command, args, options) {
  if (!withTime) return { ms: run(command, args, options), cpuMs: NaN };
  const out = at('time.txt');
  const ms = run(GNU_TIME, ['-f', '%U %S', '-o', out, command, ...args], options);
  const [user, sys] = readFileSync(out, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  return { ms, cpuMs: (user + sys) * 1000 };
}

/**
 * Median of RUNS runs per case, each against a fresh database from `target()`. The cases run
 * round-robin, so drift in machine load affects every tool alike.
 */
function measureAll(cases, target, serverCpuMs) {
  const times = cases.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    cases.forEach(([, command], c) => {
      const t = target();
      const before = serverCpuMs ? (pause(300), serverCpuMs()) : 0;
      const result = command(t);
      // Backends exit just after their client: give the server a moment to reap them.
      if (serverCpuMs) result.cpuMs += (pause(300), serverCpuMs() - before);
      times[c].push(result);
    });
  }
  cases.forEach(([label], c) => log(`  ${label}: ${times[c].map((t) => formatMs(t.ms)).join(', ')}`));
  return cases.map(([label], c) => [label, median(times[c].map((t) => t.ms)), median(times[c].map((t) => t.cpuMs))]);
}

const results = [];
let pg;
try {
  console.log(`migseal apply bench: node ${process.version}, ${cpus().length} cores, ${COUNT} migrations, ${RUNS} runs per figure (median)`);
  run(NODE, [BIN, 'keys', 'generate', '--out', at('release')], { cwd: tmp, env });
  const policy = writePolicy(tmp, 'release');
  const source = layouts();
  run(NODE, [BIN, 'pack', source, '--project', 'bench', '--release', '1', '--key', at('release.key'), '--out', at('bench.migseal')], { cwd: tmp, env });
  // The share of migseal's time that is verification (no database): apply minus this is the runner's own.
  const verifyOnly = ['(migseal verify alone, no database)', () => timedRun(NODE, [BIN, 'verify', at('bench.migseal'), '--trust', policy], { cwd: tmp, env })];
  const apply = (url) => timedRun(NODE, [BIN, 'apply', at('bench.migseal'), '--trust', policy, '--db', url], { cwd: tmp, env });

  // PostgreSQL
  if (DATABASES.has('postgres')) {
    pg = await startBenchPostgres();
    console.log(`PostgreSQL 15 throwaway cluster, fsync ${pg.fsync ? 'on' : 'off'}`);
    const pgDatabase = () => {
      const name = `bench_${++fresh}`;
      pg.createDatabase(name);
      return pg.url(name);
    };
    log('PostgreSQL');
    const pgRows = measureAll(
      [
        ['migseal apply (verify + apply + history)', apply],
        ['floor: each file in its own transaction, one connection', (url) => timedRun(NODE, [join(ROOT, 'bench/apply-floor.mjs'), 'postgres', url, source], { env })],
        ['psql -1 -f over the concatenated SQL', (url) => timedRun(join(pg.bindir, 'psql'), ['-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-f', at('all.sql'), url])],
        ['dbmate up', (url) => timedRun(DBMATE, ['--url', `${url}?sslmode=disable`, '--migrations-dir', at('dbmate'), '--no-dump-schema', 'up'], { env })],
        ['postgrator migrate', (url) => timedRun(NODE, [join(ROOT, 'bench/apply-postgrator.mjs'), 'postgres', url, at('postgrator')], { env })],
        verifyOnly,
      ],
      pgDatabase,
      () => pg.backendCpuMs(),
    );
    results.push(['PostgreSQL', pgRows, true, 'CPU client+backends']);
  }

  // SQLite
  if (DATABASES.has('sqlite')) {
    const sqliteFile = () => at(`bench-${++fresh}.db`);
    log('SQLite');
    const liteRows = measureAll(
      [
        ['migseal apply (verify + apply + history)', (path) => apply(`sqlite:${path}`)],
        ['floor: each file in its own transaction, one connection', (path) => timedRun(NODE, [join(ROOT, 'bench/apply-floor.mjs'), 'sqlite', path, source], { env })],
        ...(has('sqlite3') ? [['sqlite3 over the concatenated SQL, one transaction', (path) => timedRun('sh', ['-c', `sqlite3 "${path}" < "${at('all-sqlite.sql')}"`])]] : []),
        // dbmate's SQLite driver (mattn/go-sqlite3) sets synchronous=NORMAL: three fsyncs a commit where SQLite's default,
        // FULL, which migseal keeps, makes four. The second row runs dbmate at the same durability as migseal.
        ['dbmate up (its default: synchronous=NORMAL)', (path) => timedRun(DBMATE, ['--url', `sqlite:${path}`, '--migrations-dir', at('dbmate'), '--no-dump-schema', 'up'], { env })],
        ['dbmate up (synchronous=FULL, as migseal)', (path) => timedRun(DBMATE, ['--url', `sqlite:${path}?_synchronous=FULL`, '--migrations-dir', at('dbmate'), '--no-dump-schema', 'up'], { env })],
        ['postgrator migrate', (path) => timedRun(NODE, [join(ROOT, 'bench/apply-postgrator.mjs'), 'sqlite', path, at('postgrator')], { env })],
        verifyOnly,
      ],
      sqliteFile,
    );
    results.push(['SQLite', liteRows, true, 'CPU (user+sys)']);
  }

  for (const [database, rows, cpuMatters, cpuLabel] of results) {
    const migseal = rows[0][1];
    console.log(`\n${database}: apply ${COUNT} migrations to a fresh database`);
    const header = ['tool', 'median', 'migseal / tool', ...(cpuMatters && withTime ? [cpuLabel, 'migseal / tool'] : [])];
    const line = ([tool, ms, cpu]) => [tool, formatMs(ms), (migseal / ms).toFixed(2), ...(cpuMatters && withTime ? [formatMs(cpu), (cpu > 0 ? (rows[0][2] / cpu).toFixed(2) : 'n/a')] : [])];
    console.log(table([header, ...rows.map(line)]));
    const floor = rows.find(([tool]) => tool.startsWith('floor'))[1];
    const peers = rows.filter(([tool]) => tool.startsWith('dbmate') || tool.startsWith('postgrator'));
    // The targets: at most the floor on PostgreSQL (the server's round trips dominate), within 1.2x of it on SQLite.
    const bound = database === 'PostgreSQL' ? 1.0 : 1.2;
    console.log(`  target: within ${bound.toFixed(1)}x of the floor: ${(migseal / floor).toFixed(2)}x, ${migseal / floor <= bound ? 'met' : 'NOT met'}`);
    console.log(`  target: faster than dbmate and postgrator: ${peers.every(([, ms]) => migseal < ms) ? 'met' : 'NOT met'}`);
    for (const [tool, ms] of peers) console.log(`    ${migseal < ms ? 'faster than' : 'NOT faster than'} ${tool}: ${(migseal / ms).toFixed(2)}x`);
  }
  console.log('\nCPU: user + sys of the command and its children; for PostgreSQL plus the CPU of the server backends that served it');
  console.log("(the postmaster's reaped children), without the server's background writers. On a shared machine wall times drift; CPU less so.");
} finally {
  await pg?.stop();
  rmSync(tmp, { recursive: true, force: true });
}
