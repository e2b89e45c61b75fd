/**
 * A throwaway PostgreSQL cluster for the bench, with the server's durable defaults (fsync
 * and synchronous_commit on) unless BENCH_PG_FSYNC=off: initdb in a temp folder as `nobody`
 * when run as root, a free loopback port and a socket in the folder.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function postgresBindir() {
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const candidates = config.status === 0 ? [config.stdout.trim()] : [];
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) candidates.push(...readdirSync(root).sort((a, b) => Number(b) - Number(a)).map((v) => join(root, v, 'bin')));
  return candidates.find((dir) => existsSync(join(dir, 'initdb')));
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** `settings`: more postgresql.conf lines (e.g. `shared_preload_libraries = 'pg_stat_statements'`). */
export async function startBenchPostgres({ fsync = process.env.BENCH_PG_FSYNC !== 'off', settings = [] } = {}) {
  const bindir = postgresBindir();
  if (!bindir) throw new Error('PostgreSQL binaries not found');
  const dir = mkdtempSync(join(tmpdir(), 'migseal-bench-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(dir, 65534, 65534);
  const asServer = { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, LC_ALL: 'C' }, ...(asRoot && { uid: 65534, gid: 65534 }) };
  const data = join(dir, 'data');
  const init = spawnSync(join(bindir, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C'], { ...asServer, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  appendFileSync(join(data, 'postgresql.conf'), `\nport = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\nfsync = ${fsync ? 'on' : 'off'}\n${settings.map((line) => `${line}\n`).join('')}`);
  writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
  const log = openSync(join(dir, 'server.log'), 'a');
  const server = spawn(join(bindir, 'postgres'), ['-D', data], { ...asServer, stdio: ['ignore', log, log] });
  closeSync(log);
  for (let i = 0; spawnSync(join(bindir, 'pg_isready'), ['-q', '-h', dir, '-p', String(port)]).status !== 0; i++) {
    if (i > 600 || server.exitCode !== null) throw new Error('postgres did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  const psql = (sql, db = 'postgres') => {
    const r = spawnSync(join(bindir, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', db, '-c', sql], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
    return r.stdout;
  };
  return {
    bindir,
    port,
    socketDir: dir,
    fsync,
    url: (db) => `postgres://postgres@127.0.0.1:${port}/${db}`,
    psql,
    createDatabase: (db) => psql(`CREATE DATABASE "${db}"`),
    /**
     * CPU time (ms) of the server's finished backends so far: the postmaster's cutime + cstime
     * (/proc/PID/stat fields 16-17, in clock ticks of 10 ms). A backend counts once it exited.
     */
    backendCpuMs() {
      const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      return (Number(fields[13]) + Number(fields[14])) * 10;
    },
    async stop() {
      if (server.exitCode === null) {
        const gone = new Promise((r) => server.once('exit', r));
        server.kill('SIGINT');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
