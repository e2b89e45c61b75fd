/**
 * A password-protected role on a real server. The failure paths (password in the URL, wrong
 * password, refusals, a failing migration, a server that stops) run with a distinctive
 * password set; it must appear nowhere: not in stdout or stderr (text or --json), not in
 * the audit log, not in the database's history tables.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import type { CliResult } from '../helpers/cli.js';
import { counterMigrations } from '../helpers/release-world.js';

const PASSWORD = 'Pw-7c1e9d3f-unmistakable';
const WRONG = 'Wrong-5b2a8e04-distinctive';

const ctx = usePostgresWorld({ passwordRole: { user: 'deploy', password: PASSWORD } });
let url: string;
const outputs: CliResult[] = [];

beforeAll(async () => {
  url = ctx.cluster.passwordUrl!;
});

async function migseal(args: string[], env: Record<string, string>): Promise<CliResult> {
  const text = await ctx.world.migseal(args, env);
  const json = await ctx.world.migseal([...args, '--json'], env);
  outputs.push(text, json);
  return text;
}

const withUrlPassword = (secret: string) => url.replace('deploy@', `deploy:${secret}@`);

describe('T4.9-T4.10 credentials never leak', () => {
  it('refuses a password in --db or MIGSEAL_DATABASE_URL, saying where a password may come from', async () => {
    const bundle = await ctx.world.bundle(counterMigrations(2), { release: '1' });
    for (const [args, env] of [
      [['apply', bundle, '--trust', ctx.world.policy, '--db', withUrlPassword(PASSWORD)], {}],
      [['apply', bundle, '--trust', ctx.world.policy], { MIGSEAL_DATABASE_URL: withUrlPassword(PASSWORD) }],
      [['status', '--db', `${url}?password=${PASSWORD}`], {}],
    ] as const) {
      const result = await migseal([...args], { ...env });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/contains a password; remove it and provide the password through PGPASSWORD, MIGSEAL_DATABASE_PASSWORD or MIGSEAL_DATABASE_PASSWORD_FILE/);
    }
    expect((await ctx.cluster.psql("SELECT to_regclass('migseal.migseal_migrations') IS NULL")).trim()).toBe('t');
  });

  // The password hidden from a plain text match: percent-encoded names, an encoded colon, a conninfo inside a value.
  it('a password hidden by percent-encoding in the URL (pass%77ord=, %70assword=, sslpass%77ord=, u%3Apw@, a conninfo in dbname) is refused before connecting and never printed', async () => {
    const bundle = await ctx.world.bundle(counterMigrations(2), { release: '1' });
    const query = (q: string) => `${url}${url.includes('?') ? '&' : '?'}${q}`;
    const hidden = [
      [query(`pass%77ord=${PASSWORD}`), /query parameter whose name holds "password" once percent-decoded/],
      [query(`%70assword=${PASSWORD}`), /"password" once percent-decoded/],
      [query(`sslpass%77ord=${PASSWORD}`), /"password" once percent-decoded/],
      [url.replace('deploy@', `deploy%3A${PASSWORD}@`), /behind a percent-encoded colon/],
      [query(`dbname=${encodeURIComponent(`host=127.0.0.1 password=${PASSWORD}`)}`), /inside the value of a query parameter/],
    ] as const;
    for (const [db, where] of hidden) {
      const result = await migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', db], { PGPASSWORD: PASSWORD });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/contains a password; remove it and provide the password through PGPASSWORD, MIGSEAL_DATABASE_PASSWORD or MIGSEAL_DATABASE_PASSWORD_FILE/);
      expect(result.stderr).toMatch(where);
      expect(JSON.parse(outputs.at(-1)!.stdout).code).toBe('CREDENTIALS_ON_COMMAND_LINE');
    }
    expect((await migseal(['status', '--db', hidden[0][0]], {})).code).toBe(1);
    // Refused before connecting: not even migseal's own tables exist.
    expect((await ctx.cluster.psql("SELECT to_regclass('migseal.migseal_migrations') IS NULL")).trim()).toBe('t');
  });

  it('reports a wrong password as a connection failure without echoing it', async () => {
    const bundle = await ctx.world.bundle(counterMigrations(2), { release: '1' });
    const result = await migseal(['apply', bundle, '--trust', ctx.world.policy, '--db', url], { PGPASSWORD: WRONG });
    // Nothing ran: exit 4, not 3.
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/Cannot connect to postgres:\/\/deploy@127\.0\.0\.1:\d+\/test: password authentication failed for user "deploy"/);
  });

  it('applies with the password from PGPASSWORD or MIGSEAL_DATABASE_PASSWORD_FILE, then runs the failure paths', async () => {
    const first = await ctx.world.bundle(counterMigrations(2), { release: '1' });
    const applied = await ctx.world.migseal(['apply', first, '--trust', ctx.world.policy, '--db', url], { PGPASSWORD: PASSWORD });
    outputs.push(applied);
    expect(applied.code).toBe(0);

    const passwordFile = join(ctx.world.dir, 'db-password');
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    const status = await migseal(['status', '--db', url], { MIGSEAL_DATABASE_PASSWORD_FILE: passwordFile });
    expect(status.code).toBe(0);
    outputs.push(await ctx.world.migseal(['history', '--db', url, '--json'], { PGPASSWORD: PASSWORD }));

    // Refusals: drift and an older release.
    const drift = await ctx.world.bundle({ ...counterMigrations(3), '2_step_2.up.sql': 'SELECT 1;\n' }, { release: '2' });
    expect((await migseal(['apply', drift, '--trust', ctx.world.policy, '--db', url], { PGPASSWORD: PASSWORD })).code).toBe(2);
    expect((await migseal(['plan', drift, '--trust', ctx.world.policy, '--db', url], { PGPASSWORD: PASSWORD })).code).toBe(2);

    // A migration that fails outside a transaction: exit 3, dirty, then resolve.
    const failing = await ctx.world.bundle({ ...counterMigrations(2), '3_bad.up.sql': 'BEGIN;\nCREATE TABLE bad (x INTEGER);\nCOMMIT;\nSELECT 1 / 0;\n' }, { release: '3' });
    const failed = await ctx.world.migseal(['apply', failing, '--trust', ctx.world.policy, '--db', url], { PGPASSWORD: PASSWORD });
    outputs.push(failed);
    expect(failed.code).toBe(3);
    expect((await migseal(['apply', failing, '--trust', ctx.world.policy, '--db', url], { PGPASSWORD: PASSWORD })).code).toBe(2);
    const resolved = await ctx.world.migseal(['resolve', '--db', url, '--version', '3', '--as', 'rolled-back', '--reason', 'dropped table bad by hand'], { PGPASSWORD: PASSWORD });
    outputs.push(resolved);
    expect(resolved.code).toBe(0);

    // The server goes away between runs.
    await ctx.cluster.halt('immediate');
    try {
      // Nothing ran: the server could not be reached (exit 4).
      expect((await migseal(['apply', first, '--trust', ctx.world.policy, '--db', url], { PGPASSWORD: PASSWORD })).code).toBe(4);
    } finally {
      await ctx.cluster.restart!();
    }
  });

  it('the password is nowhere: outputs, audit log, history tables', async () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const output of outputs) {
      for (const secret of [PASSWORD, WRONG]) {
        expect(output.stdout).not.toContain(secret);
        expect(output.stderr).not.toContain(secret);
      }
    }
    const audit = readFileSync(ctx.world.auditLog, 'utf8');
    expect(audit.split('\n').length).toBeGreaterThan(10);
    expect(audit).toMatch(/"code":"CREDENTIALS_ON_COMMAND_LINE"/);
    expect(audit).toMatch(/"code":"MIGRATION_DRIFT"/);
    expect(audit).not.toContain(PASSWORD);
    expect(audit).not.toContain(WRONG);
    const dump = await ctx.cluster.dump();
    expect(dump).toContain('migseal_runs');
    expect(dump).toMatch(/dropped table bad by hand/);
    expect(dump).not.toContain(PASSWORD);
    expect(dump).not.toContain(WRONG);
  });
});
