/**
 * The rehearsal on a real PostgreSQL server (15, and 18 in the pg18 project), through the
 * CLI: a release that passes, and one whose down script leaves a column behind, named with
 * its schema; the server's version is recorded; a down script the server refuses is reported
 * with its DETAIL and HINT, as apply reports a failed script; a script that gives up waiting
 * for a lock names the session that held it, as apply does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { counterMigrations } from '../helpers/release-world.js';
import { codeOf } from '../helpers/refusal.js';
import type { CliResult } from '../helpers/cli.js';
import { onlyWait, watchLockWaits } from '../helpers/lock-wait.js';

const ctx = usePostgresWorld();

describe('migseal rehearse on PostgreSQL', () => {
  it('passes a good release and names the column a down script leaves behind', async () => {
    const good = await ctx.world.bundle(counterMigrations(3), { dialect: 'postgres' });
    const passed = await ctx.world.migseal(['rehearse', good, '--trust', ctx.world.policy, '--db', await ctx.cluster.createDatabase('rehearse_good'), '--json']);
    expect(passed.stderr).toBe('');
    expect(passed.code).toBe(0);
    const doc = JSON.parse(passed.stdout);
    expect(doc).toMatchObject({ passed: true, server: { dialect: 'postgres', version: expect.stringMatching(new RegExp(`^PostgreSQL ${ctx.cluster.major}\\.`)) } });
    expect(doc.fingerprints.reapplied).toBe(doc.fingerprints.applied);

    const files = counterMigrations(3);
    files['3_step_3.up.sql'] += 'ALTER TABLE t1 ADD COLUMN extra integer NOT NULL DEFAULT 0;\n';
    const leaves = await ctx.world.bundle(files, { dialect: 'postgres' });
    const left = await ctx.world.migseal(['rehearse', leaves, '--trust', ctx.world.policy, '--db', await ctx.cluster.createDatabase('rehearse_leaves'), '--json']);
    expect(left.code).toBe(2);
    expect(codeOf(left)).toBe('REHEARSAL_FAILED');
    const l = JSON.parse(left.stdout);
    expect(l.migrations.map((m: { version: string; down: string; reapply: string }) => [m.version, m.down, m.reapply])).toEqual([['1', 'ok', 'ok'], ['2', 'ok', 'ok'], ['3', 'left-behind', 'ok']]);
    expect(l.migrations[2].problem).toBe('left behind column public.t1.extra');
    // Dropping t1 took the leftover with it, so applying everything again still gives the first schema.
    expect(l.fingerprints.reapplied).toBe(l.fingerprints.applied);
  });

  it("names what the server said in a failed down script's DETAIL and HINT: the view that a repeatable migration keeps on the table", async () => {
    const files = {
      'V1__users.sql': 'CREATE TABLE users (id integer PRIMARY KEY, active boolean NOT NULL DEFAULT true);\n',
      'U1__users.sql': 'DROP TABLE users;\n',
      'R__active_users.sql': 'CREATE OR REPLACE VIEW active_users AS SELECT id FROM users WHERE active;\n',
    };
    const failed = await ctx.world.migseal(['rehearse', await ctx.world.bundle(files, { dialect: 'postgres' }), '--trust', ctx.world.policy, '--db', await ctx.cluster.createDatabase('rehearse_depends')]);
    expect(failed.code).toBe(2);
    expect(failed.stdout).toContain(
      'error: cannot drop table users because other objects depend on it. DETAIL: view active_users depends on table users. HINT: Use DROP ... CASCADE to drop the dependent objects too\n',
    );
  });

  it('a script that gives up waiting for a lock names the session that held it (--pg-lock-timeout), and leaves the scratch database empty', async () => {
    const scratch = 'rehearse_locked';
    const url = await ctx.cluster.createDatabase(scratch);
    // Another session creating the same table, not yet committed (another rehearsal on the same scratch database).
    const holder = new pg.Client({ connectionString: url, application_name: 'other-rehearsal' });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('CREATE TABLE accounts (id integer PRIMARY KEY)');
      const pid = Number((await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
      const bundle = await ctx.world.bundle({ '1_accounts.up.sql': 'CREATE TABLE accounts (id integer PRIMARY KEY);\n', '1_accounts.down.sql': 'DROP TABLE accounts;\n' }, { dialect: 'postgres' });
      const out = join(ctx.world.dir, 'rehearsed-locked.migseal');
      // The wait as the server saw it (lock-wait.ts): a rehearsal that waits 4 s past its timeout gets its turn, and
      // passes where it should have failed.
      const { result: failed, waits } = await watchLockWaits(
        url,
        ctx.world.migseal(['rehearse', bundle, '--trust', ctx.world.policy, '--db', url, '--pg-lock-timeout', '1s', '--key', ctx.world.key.privatePath, '--out', out, '--json']),
        { releaseAfterMs: 5000, release: () => holder.query('ROLLBACK') },
      );
      const wait = onlyWait(waits);
      expect(wait.atMostMs, JSON.stringify(wait)).toBeGreaterThanOrEqual(1000);
      expect(wait.atLeastMs, JSON.stringify(wait)).toBeLessThan(3500);
      expect(failed.code).toBe(2);
      expect(codeOf(failed)).toBe('REHEARSAL_FAILED');
      const doc = JSON.parse(failed.stdout) as { migrations: Array<{ up: string; problem: string }>; lockHolders: Record<string, string> };
      const problem = doc.migrations[0]!;
      expect(problem.up).toBe('failed');
      // The outcome that is signed says what failed, and not who else was on the scratch server.
      expect(problem.problem).toBe('canceling statement due to lock timeout (another session held the lock it waited for)');
      expect(doc.lockHolders['1']).toContain(`It waited for `);
      expect(doc.lockHolders['1']).toContain(` held by pid ${pid} (user ${ctx.cluster.user}, application "other-rehearsal", idle in transaction, its transaction began`);
      expect(doc.lockHolders['1']).toContain(`end it (SELECT pg_terminate_backend(${pid})), or allow a longer wait with --pg-lock-timeout`);
      const signed = await decodeBundle(readFileSync(out));
      const attestations = [...signed.attestations.values()].map((bytes) => bytes.toString('utf8'));
      const statement = attestations.map((a) => a.replace(/"payload":\s*"([^"]+)"/g, (_, b64: string) => Buffer.from(b64, 'base64').toString('utf8'))).join('\n');
      expect(statement).toContain('canceling statement due to lock timeout (another session held the lock it waited for)');
      expect(statement).not.toContain('other-rehearsal');
      expect(statement).not.toContain(`pid ${pid}`);
      // The text says the same.
      const text = await ctx.world.migseal(['rehearse', bundle, '--trust', ctx.world.policy, '--db', url, '--pg-lock-timeout', '300ms']);
      expect(text.code).toBe(2);
      expect(text.stdout).toContain(`held by pid ${pid} (user ${ctx.cluster.user}, application "other-rehearsal"`);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    // The rehearsal's own transaction was rolled back: the scratch database is still empty.
    expect(await ctx.cluster.psql("SELECT count(*) FROM pg_catalog.pg_class WHERE relnamespace = 'public'::regnamespace", scratch)).toBe('0\n');
    const usage = await ctx.world.migseal(['rehearse', 'nothing.migseal', '--trust', ctx.world.policy, '--db', url, '--pg-lock-timeout', '5', '--json']);
    expect(usage.code).toBe(1);
    expect(codeOf(usage)).toBe('USAGE');
  });

  it("takes the runner lock: a second rehearsal or an apply on the same database meanwhile gives up (LOCK_TIMEOUT), and runs nothing between the first one's scripts", async () => {
    const scratch = 'rehearse_twice';
    const url = await ctx.cluster.createDatabase(scratch);
    // The first rehearsal's up script waits until the test lets it go (an advisory lock the test holds, tried without
    // waiting, so no lock_timeout ends it), however long the other two take to start on a busy machine.
    const GATE = 4_242_001;
    const gate = new pg.Client({ connectionString: url, application_name: 'gate' });
    await gate.connect();
    await gate.query(`SELECT pg_advisory_lock(${GATE})`);
    const bundle = await ctx.world.bundle(
      {
        '1_slow.up.sql': `CREATE TABLE slow (id integer);\nDO $$ BEGIN WHILE NOT pg_try_advisory_xact_lock(${GATE}) LOOP PERFORM pg_sleep(0.02); END LOOP; END $$;\n`,
        '1_slow.down.sql': 'DROP TABLE slow;\n',
      },
      { dialect: 'postgres' },
    );
    const first = ctx.world.migseal(['rehearse', bundle, '--trust', ctx.world.policy, '--db', url, '--json']);
    let others: CliResult[] = [];
    try {
      const waiting = async () => (await gate.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_try_advisory_xact_lock%' AND state = 'active' AND pid <> pg_backend_pid()")).rows.length > 0;
      while (!(await waiting())) await new Promise((resolve) => setTimeout(resolve, 25));
      others = await Promise.all([
        ctx.world.migseal(['rehearse', bundle, '--trust', ctx.world.policy, '--db', url, '--lock-timeout', '0.5', '--json']),
        ctx.world.migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url, '--lock-timeout', '0.5', '--json']),
      ]);
    } finally {
      // Let the first go on: its script takes the advisory lock, and the rest of the rehearsal runs.
      await gate.end();
    }
    expect(others).toHaveLength(2);
    for (const refused of others) {
      expect([refused.code, codeOf(refused)], refused.stdout).toEqual([4, 'LOCK_TIMEOUT']);
      const { message } = JSON.parse(refused.stdout) as { message: string };
      expect(message).toContain('Another migseal runner holds the lock on');
      // The runner that holds it: the first rehearsal's session, in its script, named by what it runs, not by the script's text.
      expect(message).toMatch(/: pid \d+ \(user [^,]+, application "migseal rehearse [^"]+", (?:active|idle|idle in transaction), its (?:transaction|last query) began \d+ s ago\); gave up after 500 ms\./);
      expect(message).not.toMatch(/pg_sleep|CREATE TABLE|BEGIN/);
    }
    const passed = await first;
    expect(passed.code, passed.stdout).toBe(0);
    // The apply wrote nothing: no history, and the schema is the one the rehearsal left.
    expect(await ctx.cluster.psql("SELECT to_regnamespace('migseal') IS NULL, (SELECT string_agg(relname, ',') FROM pg_class WHERE relnamespace = 'public'::regnamespace)", scratch)).toBe('t|slow\n');
    // Once the first is done, the second finds the database not empty, as it is.
    const after = await ctx.world.migseal(['rehearse', bundle, '--trust', ctx.world.policy, '--db', url, '--json']);
    expect([after.code, codeOf(after)]).toEqual([2, 'SCRATCH_NOT_EMPTY']);
  });
});
