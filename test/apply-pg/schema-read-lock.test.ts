/**
 * The schema read before any migration runs (plan, and apply's comparison with the recorded
 * fingerprint) waits for a lock when a view's table is locked by another session: it waits
 * only as long as apply's lock_timeout, and the refusal names the session that held the lock.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import type { CliResult } from '../helpers/cli.js';
import { codeOf } from '../helpers/refusal.js';
import { writePolicy } from '../helpers/fixtures.js';

const ctx = usePostgresWorld();
let holder: pg.Client | undefined;
let url = '';
let second = '';
const DB = 'schema_read_lock';

beforeAll(async () => {
  url = await ctx.cluster.createDatabase(DB);
  await ctx.cluster.psql('CREATE TABLE accounts (id integer PRIMARY KEY); INSERT INTO accounts VALUES (1);', DB);
  // The first run records a fingerprint, so the next plan or apply reads the live schema, a view's definition included.
  const first = { '1_ids.up.sql': 'CREATE VIEW account_ids AS SELECT id FROM accounts;\n' };
  expect((await ctx.world.migseal(['apply', await ctx.world.bundle(first), '--trust', ctx.world.policy, '--db', url])).code).toBe(0);
  second = await ctx.world.bundle({ ...first, '2_note.up.sql': 'ALTER TABLE accounts ADD COLUMN note text;\n' }, { release: '2' });
});

afterEach(async () => {
  await holder?.end().catch(() => undefined);
  holder = undefined;
});

/** Another session, as a report job would be: a transaction holding ACCESS EXCLUSIVE on accounts. */
async function holdLock(): Promise<number> {
  holder = new pg.Client({ connectionString: url, application_name: 'nightly-report' });
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query('LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
  return Number((await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a command while the holder keeps its lock, and ends the holder's transaction once the command has waited
 * `holdMs` for that lock (as the server sees the wait) or has finished. A command that gives up after a shorter lock
 * timeout has failed by then; one that waits longer (the 10 s default, or for ever) gets the lock and goes on, and
 * the test sees it succeed. The wait is timed from the server's side, not with a clock around the process, whose
 * start-up and verification alone can take seconds on a busy machine.
 */
async function whileHeld(holdMs: number, command: Promise<CliResult>): Promise<CliResult> {
  let finished = false;
  const result = command.finally(() => (finished = true));
  const watcher = new pg.Client({ connectionString: url });
  await watcher.connect();
  try {
    const waiting = async () => (await watcher.query("SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'accounts'::regclass")).rowCount! > 0;
    while (!finished && !(await waiting())) await sleep(20);
  } finally {
    await watcher.end();
  }
  await Promise.race([result, sleep(holdMs)]);
  await holder!.query('COMMIT');
  return result;
}

const unchanged = async (): Promise<void> => {
  expect(await ctx.cluster.psql("SELECT string_agg(column_name, ',') FROM information_schema.columns WHERE table_name = 'accounts'", DB)).toBe('id\n');
  expect(await ctx.cluster.psql('SELECT outcome FROM migseal.migseal_runs', DB)).toBe('succeeded\n');
};

describe.each(['plan', 'apply'])('%s behind a lock on a table with a view', (command) => {
  it('gives up after --pg-lock-timeout, names the session that holds the lock, and changes nothing', async () => {
    const pid = await holdLock();
    // Held 5 s into the wait: past the flag's 1 s, short of the default 10 s.
    const result = await whileHeld(5000, ctx.world.migseal([command, second, '--trust', ctx.world.policy, '--db', url, '--pg-lock-timeout', '1s', '--json']));
    expect([result.code, codeOf(result)]).toEqual([4, 'DATABASE_UNAVAILABLE']);
    const message = (JSON.parse(result.stdout) as { message: string }).message;
    expect(message).toContain('canceling statement due to lock timeout. It waited for');
    expect(message).toContain(`held by pid ${pid} (user ${ctx.cluster.user}, application "nightly-report", idle in transaction`);
    expect(message).toContain(`SELECT pg_terminate_backend(${pid})`);
    await unchanged();
  });
});

it("plan without the flag waits as long as the environment's pgLockTimeout, and takes no runner lock", async () => {
  const dir = join(ctx.world.dir, 'keys-plan-timeout');
  mkdirSync(dir, { mode: 0o700, recursive: true });
  copyFileSync(ctx.world.key.publicPath, join(dir, 'release.pub'));
  const policy = writePolicy(dir, { keys: [{ key: ctx.world.key, roles: ['release'] }], environments: { default: { release: 1, pgLockTimeout: '500ms' } } });
  const pid = await holdLock();
  // Another runner holds migseal's lock: plan, which changes nothing, does not wait for it.
  const runner = new pg.Client({ connectionString: url });
  await runner.connect();
  try {
    await runner.query("SELECT pg_advisory_lock(7581215183639544856)");
    // Held 5 s into the wait: past the environment's 500 ms, short of the default 10 s and of the runner lock's 30 s.
    const result = await whileHeld(5000, ctx.world.migseal(['plan', second, '--trust', policy, '--db', url]));
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`held by pid ${pid} (user`);
  } finally {
    await runner.end();
  }
  await unchanged();
});

it('plan --targets reads each target with the lock timeout too, and names the holder for the target it could not read', async () => {
  const pid = await holdLock();
  const targets = join(ctx.world.dir, 'targets.txt');
  writeFileSync(targets, `${url}\n`);
  const result = await whileHeld(5000, ctx.world.migseal(['plan', second, '--trust', ctx.world.policy, '--targets', targets, '--pg-lock-timeout', '1s', '--json']));
  expect(result.code).toBe(4);
  const error = (JSON.parse(result.stdout) as { targets: Array<{ error: { code: string; message: string } }> }).targets[0]!.error;
  expect(error.code).toBe('DATABASE_UNAVAILABLE');
  expect(error.message).toContain(`held by pid ${pid} (user`);
  await unchanged();
});
