/**
 * apply --backup on PostgreSQL, through the CLI: the host's pg_dump in custom format, checked
 * with pg_restore --list, taken after the checks and before the first statement; restored into
 * an empty database with the fingerprint recorded when it was taken. A pg_dump that is
 * missing or older than the server runs nothing.
 */
import { chmodSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { codeOf } from '../helpers/refusal.js';

const ctx = usePostgresWorld();
let v1: string;
let v2: string;
let n = 0;
const USERS = { '1_users.up.sql': "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL DEFAULT '');\nCREATE INDEX users_email ON users (email);\nINSERT INTO users VALUES (1, 'a@example.com');\n" };

beforeAll(async () => {
  v1 = await ctx.world.bundle(USERS);
  v2 = await ctx.world.bundle({ ...USERS, '2_orders.up.sql': 'CREATE TABLE orders (id integer PRIMARY KEY, user_id integer REFERENCES users (id));\n' }, { release: '2' });
});

async function atRelease1(): Promise<{ name: string; url: string; dir: string }> {
  const name = `backup_${++n}`;
  const url = await ctx.cluster.createDatabase(name);
  expect((await ctx.world.migseal(['apply', v1, '--trust', ctx.world.policy, '--db', url])).code).toBe(0);
  return { name, url, dir: join(ctx.world.dir, `pg-backups-${n}`) };
}

describe('apply --backup on PostgreSQL', () => {
  it("pg_dump's custom format, private, recorded; restored into an empty database with the recorded fingerprint", async () => {
    const db = await atRelease1();
    const applied = await ctx.world.migseal(['apply', v2, '--trust', ctx.world.policy, '--db', db.url, '--backup', db.dir, '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    const { backup } = JSON.parse(applied.stdout) as { backup: { path: string; bytes: number; sha256: string; format: string; fingerprintSha256: string } };
    expect(backup.format).toBe('pg_dump-custom');
    expect(backup.path).toMatch(new RegExp(`/${db.name}-\\d{8}T\\d{6}Z-[0-9a-f]{8}\\.dump$`));
    expect([statSync(db.dir).mode & 0o777, statSync(backup.path).mode & 0o777]).toEqual([0o700, 0o600]);
    expect(await ctx.cluster.psql('SELECT path, bytes, sha256 FROM migseal.migseal_backups', db.name)).toBe(`${backup.path}|${backup.bytes}|${backup.sha256}\n`);

    const scratch = await ctx.cluster.createDatabase(`scratch_${n}`);
    const restored = await ctx.world.migseal(['restore', backup.path, '--db', scratch, '--json']);
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ ok: true, matches: true, live: backup.fingerprintSha256 });
    // The schema as it was before release 2, and the data.
    expect(await ctx.cluster.psql("SELECT to_regclass('orders') IS NULL, (SELECT email FROM users)", `scratch_${n}`)).toBe('t|a@example.com\n');

    const again = await ctx.world.migseal(['restore', backup.path, '--db', db.url, '--json']);
    expect([again.code, codeOf(again)]).toEqual([2, 'RESTORE_TARGET_NOT_EMPTY']);
  });

  it('a missing pg_dump, or one older than the server, runs nothing (exit 1, BACKUP_FAILED), the database unchanged', async () => {
    const db = await atRelease1();
    const before = await ctx.cluster.dump(db.name);
    const missing = join(ctx.world.dir, 'no-such-bin', 'pg_dump');
    const gone = await ctx.world.migseal(['apply', v2, '--trust', ctx.world.policy, '--db', db.url, '--backup', db.dir, '--json'], { MIGSEAL_PG_DUMP: missing });
    expect([gone.code, codeOf(gone)]).toEqual([1, 'BACKUP_FAILED']);
    expect(JSON.parse(gone.stdout).message).toContain(`pg_dump was not found (looked in ${missing} (from MIGSEAL_PG_DUMP))`);
    const old = join(ctx.world.dir, 'old-bin');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(old, { recursive: true });
    for (const tool of ['pg_dump', 'pg_restore']) {
      writeFileSync(join(old, tool), `#!/bin/sh\necho "${tool} (PostgreSQL) 9.6.24"\n`);
      chmodSync(join(old, tool), 0o755);
    }
    const older = await ctx.world.migseal(['apply', v2, '--trust', ctx.world.policy, '--db', db.url, '--backup', db.dir, '--json'], { MIGSEAL_PG_DUMP: join(old, 'pg_dump') });
    expect([older.code, codeOf(older)]).toEqual([1, 'BACKUP_FAILED']);
    expect(JSON.parse(older.stdout).message).toMatch(/is pg_dump 9, older than the server \(PostgreSQL \d+\), and cannot dump it/);
    expect(await ctx.cluster.dump(db.name)).toBe(before);
    expect(existsSync(db.dir) ? readdirSync(db.dir) : []).toEqual([]);
  });

  it('a pg_dump that gives up waiting for a lock names the session that holds it (exit 1, BACKUP_FAILED), and nothing runs', async () => {
    // A table whose description needs no lock on it (no default, no view): the checks before the backup read past the
    // lock, and pg_dump, which locks every table it dumps, is the one that waits.
    const notes = { '1_notes.up.sql': 'CREATE TABLE notes (id integer);\n' };
    const name = `backup_${++n}`;
    const url = await ctx.cluster.createDatabase(name);
    expect((await ctx.world.migseal(['apply', await ctx.world.bundle(notes), '--trust', ctx.world.policy, '--db', url])).code).toBe(0);
    const db = { name, url, dir: join(ctx.world.dir, `pg-backups-${n}`) };
    const next = await ctx.world.bundle({ ...notes, '2_tags.up.sql': 'CREATE TABLE tags (id integer);\n' }, { release: '2' });
    const before = await ctx.cluster.dump(db.name);
    const holder = new pg.Client({ connectionString: db.url, application_name: 'nightly-report' });
    await holder.connect();
    try {
      await holder.query('BEGIN; LOCK TABLE notes IN ACCESS EXCLUSIVE MODE');
      // Its last query carries a credential: redacted wherever the session is named.
      const pid = Number((await holder.query("SELECT pg_backend_pid() AS pid, 'password=hunter2' AS note")).rows[0].pid);
      const r = await ctx.world.migseal(['apply', next, '--trust', ctx.world.policy, '--db', db.url, '--backup', db.dir, '--pg-lock-timeout', '1s', '--json']);
      expect([r.code, codeOf(r)], r.stdout + r.stderr).toEqual([1, 'BACKUP_FAILED']);
      const { message, details } = JSON.parse(r.stdout) as { message: string; details: { lockHolders: Array<Record<string, unknown>> } };
      expect(message).toMatch(/^Cannot back up \S+ before applying: pg_dump gave up waiting for a lock after 1000 ms\. It waited for AccessShareLock on (?:public\.)?notes held by /);
      expect(message).toContain(`held by pid ${pid} (user ${ctx.cluster.user}, application "nightly-report", idle in transaction, its transaction began `);
      expect(message).toContain(`last query: SELECT pg_backend_pid() AS pid, 'password=`);
      expect(message).toContain(`). Let that session finish, end it (SELECT pg_terminate_backend(${pid})), `);
      expect(r.stdout + r.stderr).not.toContain('hunter2');
      expect(message).toMatch(/or allow a longer wait with --pg-lock-timeout; nothing was run\.$/);
      expect(details.lockHolders).toEqual([expect.objectContaining({ pid, application: 'nightly-report', state: 'idle in transaction' })]);
      expect(existsSync(db.dir) ? readdirSync(db.dir) : []).toEqual([]);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(await ctx.cluster.dump(db.name)).toBe(before);
  });
});
