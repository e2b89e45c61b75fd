/**
 * The host's pg_dump and pg_restore: found as $MIGSEAL_PG_DUMP (pg_restore beside it), else
 * on PATH, else the newest /usr/lib/postgresql/N/bin (Debian's layout). Run with the
 * connection in the environment (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD), never in
 * their arguments, so the process list shows no credentials.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { libpqEnvironment } from '../db/pg-environment.js';

export interface PgConnection {
  connectionString: string;
  password?: string;
  /** A tenant's schema (?schema=): only it is dumped. */
  schema?: string;
}

export interface PgTool {
  path: string;
  major: number;
}

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** The pg_dump to use, or undefined with where it was looked for. */
export function findPgTool(name: 'pg_dump' | 'pg_restore', env: Record<string, string | undefined>): string | { lookedIn: string } {
  if (env.MIGSEAL_PG_DUMP) {
    const path = name === 'pg_dump' ? env.MIGSEAL_PG_DUMP : join(dirname(env.MIGSEAL_PG_DUMP), 'pg_restore');
    return executable(path) ? path : { lookedIn: `${path} (from MIGSEAL_PG_DUMP)` };
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) if (dir !== '' && executable(join(dir, name))) return join(dir, name);
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian) ? readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (executable(join(debian, v, 'bin', name))) return join(debian, v, 'bin', name);
  return { lookedIn: `PATH and ${debian}/*/bin` };
}

/** The libpq environment for a connection: everything pg_dump needs, the password included, nothing else of ours. */
export function pgEnvironment(connection: PgConnection, env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = { PATH: env.PATH ?? '', PGAPPNAME: 'migseal backup', PGCONNECT_TIMEOUT: '10', ...libpqEnvironment(connection.connectionString, connection.password) };
  for (const k of ['PGSSLROOTCERT', 'PGSSLCERT', 'PGSSLKEY', 'PGPASSFILE', 'HOME', 'TZ']) if (env[k]) out[k] = env[k]!;
  return out;
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool to completion, its output captured (at most 1 MiB of each kept). */
export function runTool(path: string, args: readonly string[], env: Record<string, string>, timeoutMs: number): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString('utf8')).slice(0, 1024 * 1024)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(0, 1024 * 1024)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** "pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)" → 15. */
export async function toolMajor(path: string): Promise<number | undefined> {
  const { stdout } = await runTool(path, ['--version'], { PATH: '' }, 10_000);
  const m = /\(PostgreSQL\)\s+(\d+)/.exec(stdout);
  return m ? Number(m[1]) : undefined;
}
