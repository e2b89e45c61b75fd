/**
 * The commands that only read a PostgreSQL database (drift, status, history, audit --db,
 * audit-log verify --db) wait for another session's lock no longer than apply's lock_timeout
 * (--pg-lock-timeout, else 10 s): behind a session holding ACCESS EXCLUSIVE on a table they
 * read, each gives up with DATABASE_UNAVAILABLE (exit 4), naming that session, and changes nothing.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { writePolicy } from '../helpers/fixtures.js';
import { codeOf } from '../helpers/refusal.js';
import { onlyWait, watchLockWaits } from '../helpers/lock-wait.js';

const ctx = usePostgresWorld();
const DB = 'read_lock_waits';
let url = '';
let bundle = '';
let holder: pg.Client | undefined;

beforeAll(async () => {
  url = await ctx.cluster.createDatabase(DB);
  await ctx.cluster.psql('CREATE TABLE accounts (id integer PRIMARY KEY); INSERT INTO accounts VALUES (1);', DB);
  // A view on accounts: reading the live schema (its definition) locks accounts.
  bundle = await ctx.world.bundle({ '1_ids.up.sql': 'CREATE VIEW account_ids AS SELECT id FROM accounts;\n' });
  expect((await ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url])).code).toBe(0);
});

afterEach(async () => {
  await holder?.end().catch(() => undefined);
  holder = undefined;
});

/** Another session, as a report job or a long migration would be: a transaction holding ACCESS EXCLUSIVE on `table`. */
async function holdLock(table: string): Promise<number> {
  // A test may take the lock more than once: the previous session ends first, or the cluster's stop would end it
  // under a client with no error handler (an uncaught error that fails the run).
  await holder?.end().catch(() => undefined);
  holder = new pg.Client({ connectionString: url, application_name: 'nightly-report' });
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  return Number((await holder.query("SELECT pg_backend_pid() AS pid, 'password=hunter2' AS note")).rows[0].pid);
}

/**
 * Runs a read command behind the lock and checks the refusal: exit 4, DATABASE_UNAVAILABLE, the holder named, nothing
 * changed, after one wait of `timeoutMs` as the server saw it (see lock-wait.ts). A command that waits 4 s past its
 * timeout gets the lock then, and succeeds where it should have given up.
 */
async function refusedBehind(table: string, args: string[], timeoutMs = 500): Promise<{ message: string; lockHolders: unknown }> {
  const before = await ctx.cluster.dump(DB);
  const pid = await holdLock(table);
  const { result, waits } = await watchLockWaits(url, ctx.world.migseal([...args, '--db', url, '--json']), {
    releaseAfterMs: timeoutMs + 4000,
    release: () => holder!.query('COMMIT'),
  });
  await holder!.query('COMMIT');
  await holder!.end();
  holder = undefined;
  const wait = onlyWait(waits);
  expect(wait.atMostMs, JSON.stringify(wait)).toBeGreaterThanOrEqual(timeoutMs);
  expect(wait.atLeastMs, JSON.stringify(wait)).toBeLessThan(timeoutMs + 2500);
  expect([result.code, codeOf(result)], result.stdout + result.stderr).toEqual([4, 'DATABASE_UNAVAILABLE']);
  const { message, error } = JSON.parse(result.stdout) as { message: string; error: { details?: { lockHolders?: unknown } } };
  expect(message).toContain('canceling statement due to lock timeout. It waited for AccessShareLock on');
  expect(message).toContain(`held by pid ${pid} (user ${ctx.cluster.user}, application "nightly-report", idle in transaction, its transaction began`);
  expect(message).toContain(`SELECT pg_terminate_backend(${pid})`);
  // The holder's last query is named as apply names it: its first line, through the redactor every message passes.
  expect(message).toContain("last query: SELECT pg_backend_pid() AS pid, 'password=*** AS note)");
  expect(result.stdout + result.stderr).not.toContain('hunter2');
  expect(await ctx.cluster.dump(DB)).toBe(before);
  return { message, lockHolders: error.details?.lockHolders };
}

describe('read-only commands behind another session\'s lock', () => {
  it('drift and audit --db give up reading the live schema after --pg-lock-timeout, naming the session', async () => {
    const drift = await refusedBehind('accounts', ['drift', '--pg-lock-timeout', '500ms']);
    expect(drift.message).toContain('on accounts held by pid');
    expect(drift.lockHolders).toEqual([expect.objectContaining({ application: 'nightly-report', state: 'idle in transaction' })]);
    const audit = await refusedBehind('accounts', ['audit', bundle, '--trust', ctx.world.policy, '--pg-lock-timeout', '500ms']);
    expect(audit.message).toContain('on accounts held by pid');
  });

  it('status, history and audit-log verify --db give up reading the history, naming the session', async () => {
    for (const args of [['status'], ['history'], ['audit-log', 'verify', ctx.world.auditLog]]) {
      const { message } = await refusedBehind('migseal.migseal_migrations', [...args, '--pg-lock-timeout', '500ms']);
      expect(message).toContain('on migseal.migseal_migrations held by pid');
    }
  });

  it("status with a verified bundle waits as long as its environment's pgLockTimeout says, without the flag", async () => {
    const dir = join(ctx.world.dir, 'keys-status-wait');
    mkdirSync(dir, { mode: 0o700, recursive: true });
    copyFileSync(ctx.world.key.publicPath, join(dir, 'release.pub'));
    const policy = writePolicy(dir, { keys: [{ key: ctx.world.key, roles: ['release'] }], environments: { default: { release: 1, pgLockTimeout: '500ms' } } });
    const { message } = await refusedBehind('migseal.migseal_migrations', ['status', '--bundle', bundle, '--trust', policy]);
    expect(message).toContain('on migseal.migseal_migrations held by pid');
  });

  it('without the flag they wait the default 10 s, as apply does, then give up', async () => {
    await refusedBehind('migseal.migseal_migrations', ['history'], 10_000);
  });

  it('once the session is gone the same reads go through', async () => {
    expect((await ctx.world.migseal(['drift', '--db', url, '--pg-lock-timeout', '500ms'])).code).toBe(0);
    expect((await ctx.world.migseal(['history', '--db', url, '--pg-lock-timeout', '0'])).code).toBe(0);
  });
});
