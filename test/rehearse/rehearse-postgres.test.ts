/**
 * The rehearsal on a real PostgreSQL server (15, and 18 in the pg18 project), through the
 * CLI: a release that passes, and one whose down script leaves a column behind, named with
 * its schema; the server's version is recorded; a down script the server refuses is reported
 * with its DETAIL and HINT, as apply reports a failed script.
 */
import { describe, expect, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { counterMigrations } from '../helpers/release-world.js';
import { codeOf } from '../helpers/refusal.js';

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
});
