import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresCluster } from './postgres.js';

const PASSWORD = 'harness-pw-7Qx9';

async function query(options: { connectionString?: string; password?: string }, sql: string): Promise<unknown[]> {
  const url = new URL(options.connectionString!);
  const client = new pg.Client({
    host: url.hostname,
    port: Number(url.port),
    user: decodeURIComponent(url.username),
    database: url.pathname.slice(1),
    ...(options.password !== undefined && { password: options.password }),
  });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** True once the process is gone (or a zombie nobody reaped yet). */
async function exited(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (!existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('throwaway PostgreSQL cluster', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgres({ passwordRole: { user: 'deploy', password: PASSWORD } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs the server as a non-root user on loopback and a socket in its folder', () => {
    const pid = Number(readFileSync(join(cluster.socketDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    expect(Number(uid)).not.toBe(0);
    expect(existsSync(join(cluster.socketDir, `.s.PGSQL.${cluster.port}`))).toBe(true);
    expect(cluster.url).toBe(`postgres://postgres@127.0.0.1:${cluster.port}/test`);
  });

  it('accepts the superuser over TCP and gives each test its own database', async () => {
    const url = await cluster.createDatabase('harness_one');
    expect(await query({ connectionString: url }, 'SELECT current_database() AS db')).toEqual([{ db: 'harness_one' }]);
    expect((await cluster.psql('SELECT 1 + 1', 'harness_one')).trim()).toBe('2');
  });

  it('asks the password role for its password, which is not in the URL', async () => {
    expect(cluster.passwordUrl).toBe(`postgres://deploy@127.0.0.1:${cluster.port}/test`);
    expect(await query({ connectionString: cluster.passwordUrl, password: PASSWORD }, 'SELECT current_user AS u')).toEqual([{ u: 'deploy' }]);
    await expect(query({ connectionString: cluster.passwordUrl, password: 'wrong' }, 'SELECT 1')).rejects.toThrow(/password authentication failed/);
  });

  it('dumps schema and data, so a change shows in a before/after comparison', async () => {
    const url = await cluster.createDatabase('harness_dump');
    const before = await cluster.dump('harness_dump');
    await query({ connectionString: url }, 'CREATE TABLE t (x int); INSERT INTO t VALUES (7)');
    const after = await cluster.dump('harness_dump');
    expect(after).not.toBe(before);
    expect(after).toContain('CREATE TABLE public.t');
    expect(after).toMatch(/^7$/m);
  });

  it('survives an immediate stop and keeps committed data after restart', async () => {
    const url = await cluster.createDatabase('harness_crash');
    await query({ connectionString: url }, 'CREATE TABLE kept (x int); INSERT INTO kept VALUES (1)');
    await cluster.halt('immediate');
    await expect(query({ connectionString: url }, 'SELECT 1')).rejects.toThrow();
    await cluster.restart!();
    expect(await query({ connectionString: url }, 'SELECT x FROM kept')).toEqual([{ x: 1 }]);
  });
});

describe('cluster teardown', () => {
  it('stops the server and removes its folder', async () => {
    const cluster = await startPostgres();
    const pid = Number(readFileSync(join(cluster.socketDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    await cluster.stop();
    expect(existsSync(cluster.socketDir)).toBe(false);
    expect(await exited(pid)).toBe(true);
  });
});
