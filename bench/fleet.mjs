/**
 * The fleet bench: one release of 20 migrations applied to N tenant schemas on one PostgreSQL
 * server and to M SQLite files, by one `migseal apply --targets` (verification once) and by a
 * shell loop of single `migseal apply --db` calls over the same targets (fresh ones, so both do
 * the same work). Prints each one's time, targets per second, the time verification took, and
 * the PostgreSQL server's CPU time per target on each side (its backends' user and system time).
 * Not a test: exits 0 unless something breaks.
 *
 *   npm run bench:fleet -- [--pg-schemas 1000] [--pg-databases 0] [--sqlite 200] [--migrations 20]
 *                                         [--parallel 8] [--wave 100] [--skip-loop]
 *   BENCH_PG_FSYNC=off    a PostgreSQL without fsync (the default keeps the server's durable settings)
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { writeMigrations, writePolicy } from './data.mjs';
import { formatMs, run, shell, table } from './lib.mjs';
import { startBenchPostgres } from './postgres.mjs';

const { values: opts } = parseArgs({
  options: {
    'pg-schemas': { type: 'string', default: '1000' },
    'pg-databases': { type: 'string', default: '0' },
    sqlite: { type: 'string', default: '200' },
    migrations: { type: 'string', default: '20' },
    parallel: { type: 'string', default: '8' },
    wave: { type: 'string', default: '100' },
    'skip-loop': { type: 'boolean', default: false },
  },
});
const SCHEMAS = Number(opts['pg-schemas']);
const DATABASES = Number(opts['pg-databases']);
const SQLITE = Number(opts.sqlite);
const MIGRATIONS = Number(opts.migrations);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = process.execPath;
const tmp = mkdtempSync(join(tmpdir(), 'migseal-bench-fleet-'));
const at = (name) => join(tmp, name);
// A snapshot of the built CLI, so a rebuild in the checkout during the run cannot disturb it.
for (const part of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, part), at(`app/${part}`), { recursive: true });
symlinkSync(join(ROOT, 'node_modules'), at('app/node_modules'));
const BIN = at('app/bin/migseal.js');
const env = { PATH: process.env.PATH, HOME: process.env.HOME, MIGSEAL_AUDIT_LOG: at('audit.jsonl') };
const log = (line) => process.stderr.write(`${line}\n`);

/** A targets file for one side (fleet or loop), each side on targets of its own. */
function targets(side, pg) {
  const list = [];
  if (SCHEMAS > 0) {
    pg.createDatabase(`tenants_${side}`);
    for (let i = 0; i < SCHEMAS; i++) list.push({ name: `pg-schema-${i}`, db: `${pg.url(`tenants_${side}`)}?schema=tenant_${String(i).padStart(4, '0')}` });
  }
  for (let i = 0; i < DATABASES; i++) {
    pg.createDatabase(`own_${side}_${i}`);
    list.push({ name: `pg-db-${i}`, db: pg.url(`own_${side}_${i}`) });
  }
  mkdirSync(at(`sqlite-${side}`));
  for (let i = 0; i < SQLITE; i++) list.push({ name: `sqlite-${i}`, db: `sqlite:${at(`sqlite-${side}/tenant-${i}.db`)}` });
  return list;
}

/** Runs both sides over one kind of target; returns the table row. */
function measure(kind, fleetTargets, loopTargets, bundle, policy) {
  if (fleetTargets.length === 0) return undefined;
  const file = at(`${kind}-fleet.json`);
  writeFileSync(file, JSON.stringify(fleetTargets));
  log(`${kind}: fleet apply over ${fleetTargets.length} targets...`);
  const report = at(`${kind}-report.json`);
  // The PostgreSQL server's CPU (its finished backends) per target, each side: what the server's own work costs.
  const serverCpu = () => (kind === 'postgres' ? pg.backendCpuMs() : NaN);
  const cpu0 = serverCpu();
  const fleetMs = run(NODE, [BIN, 'apply', bundle, '--trust', policy, '--targets', file, '--parallel', opts.parallel, '--wave', opts.wave, '--report', report], { cwd: tmp, env });
  const r = JSON.parse(readFileSync(report, 'utf8'));
  if (!r.ok || r.summary.applied !== fleetTargets.length) throw new Error(`${kind}: the fleet apply left targets behind: ${JSON.stringify(r.summary)}`);
  const fleetCpu = serverCpu() - cpu0;
  let loopMs = NaN;
  let loopCpu = NaN;
  if (!opts['skip-loop']) {
    writeFileSync(at(`${kind}-loop.txt`), loopTargets.map((t) => t.db).join('\n') + '\n');
    log(`${kind}: shell loop of ${loopTargets.length} single applies...`);
    const cpu1 = serverCpu();
    loopMs = shell(`while read -r url; do "${NODE}" "${BIN}" apply "${bundle}" --trust "${policy}" --db "$url" >/dev/null; done < "${at(`${kind}-loop.txt`)}"`, { cwd: tmp, env });
    loopCpu = serverCpu() - cpu1;
  }
  const perTarget = (ms) => (Number.isNaN(ms) ? '-' : `${Math.round(ms / fleetTargets.length)} ms`);
  const n = fleetTargets.length;
  return {
    kind,
    targets: n,
    fleet: formatMs(fleetMs),
    'fleet targets/s': (n / (fleetMs / 1000)).toFixed(1),
    'verified (fleet, once)': formatMs(r.rollout.verificationMs),
    loop: Number.isNaN(loopMs) ? '-' : formatMs(loopMs),
    'loop targets/s': Number.isNaN(loopMs) ? '-' : (n / (loopMs / 1000)).toFixed(1),
    speedup: Number.isNaN(loopMs) ? '-' : `${(loopMs / fleetMs).toFixed(1)}x`,
    'server CPU/target (fleet, loop)': kind === 'postgres' ? `${perTarget(fleetCpu)}, ${perTarget(loopCpu)}` : '-',
  };
}

let pg;
try {
  console.log(
    `migseal fleet bench: node ${process.version}, ${cpus().length} cores (load ${loadavg()[0].toFixed(1)}), ${SCHEMAS} PostgreSQL schemas, ${DATABASES} PostgreSQL databases, ${SQLITE} SQLite files, ${MIGRATIONS} migrations each, --parallel ${opts.parallel} --wave ${opts.wave}`,
  );
  run(NODE, [BIN, 'keys', 'generate', '--out', at('release')], { cwd: tmp, env });
  const policy = writePolicy(tmp, 'release');
  const source = writeMigrations(at('migrations'), MIGRATIONS);
  const bundle = at('bench.migseal');
  run(NODE, [BIN, 'pack', source, '--project', 'bench', '--release', '1', '--key', at('release.key'), '--out', bundle], { cwd: tmp, env });
  // What one verification costs: the loop pays it (and a process start) once per target.
  const verifyMs = run(NODE, [BIN, 'verify', bundle, '--trust', policy], { cwd: tmp, env });
  pg = await startBenchPostgres();
  console.log(`PostgreSQL throwaway cluster, fsync ${pg.fsync ? 'on' : 'off'}; one \`migseal verify\` process: ${formatMs(verifyMs)}`);
  const fleet = targets('fleet', pg);
  const loop = targets('loop', pg);
  const isPg = (t) => t.db.startsWith('postgres');
  const rows = [measure('postgres', fleet.filter(isPg), loop.filter(isPg), bundle, policy), measure('sqlite', fleet.filter((t) => !isPg(t)), loop.filter((t) => !isPg(t)), bundle, policy)].filter(Boolean);
  const header = Object.keys(rows[0]);
  console.log(table([header, ...rows.map((r) => header.map((h) => r[h]))]));
} finally {
  await pg?.stop();
  rmSync(tmp, { recursive: true, force: true });
}
