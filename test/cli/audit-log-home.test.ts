/**
 * The default audit log lives in the running user's state folder, not the working directory:
 * a service started from `/` can plan and apply. Real CLI, real bundle, real SQLite.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeReleaseWorld, type ReleaseWorld } from '../helpers/release-world.js';

let world: ReleaseWorld;
let bundle: string;
const mode = (path: string) => statSync(path).mode & 0o777;

beforeAll(async () => {
  world = await makeReleaseWorld();
  bundle = await world.bundle({ '1_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n' }, { dialect: 'sqlite' });
});
afterAll(() => world.cleanup());

/** The CLI from `/`, with only the given environment for where the log goes. */
const plan = (env: Record<string, string | undefined>) =>
  runCli(['plan', bundle, '--trust', world.policy, '--db', `sqlite:${join(world.dir, 'plan.db')}`], { cwd: '/', env: { MIGSEAL_AUDIT_LOG: undefined, ...env } });

describe('the default audit log', () => {
  it('is ~/.local/state/migseal/audit.jsonl, made private (0700 folder, 0600 file), when nothing names another', async () => {
    const home = join(world.dir, 'home-a');
    mkdirSync(home);
    const result = await plan({ HOME: home, XDG_STATE_HOME: undefined });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const log = join(home, '.local', 'state', 'migseal', 'audit.jsonl');
    expect(readFileSync(log, 'utf8')).toContain('"plan"');
    expect(mode(join(home, '.local', 'state', 'migseal'))).toBe(0o700);
    expect(mode(log)).toBe(0o600);
    expect(existsSync('/migseal-audit.jsonl')).toBe(false);
  });

  it('is $XDG_STATE_HOME/migseal/audit.jsonl when that is an absolute path, and ignores a relative one', async () => {
    const home = join(world.dir, 'home-b');
    const state = join(world.dir, 'xdg-state');
    mkdirSync(home);
    expect((await plan({ HOME: home, XDG_STATE_HOME: state })).code).toBe(0);
    expect(existsSync(join(state, 'migseal', 'audit.jsonl'))).toBe(true);
    expect(mode(join(state, 'migseal'))).toBe(0o700);
    expect((await plan({ HOME: home, XDG_STATE_HOME: 'relative/state' })).code).toBe(0);
    expect(existsSync(join(home, '.local', 'state', 'migseal', 'audit.jsonl'))).toBe(true);
  });

  it('MIGSEAL_AUDIT_LOG and --audit-log still win', async () => {
    const home = join(world.dir, 'home-c');
    mkdirSync(home);
    const named = join(world.dir, 'named.jsonl');
    expect((await plan({ HOME: home, MIGSEAL_AUDIT_LOG: named })).code).toBe(0);
    expect(existsSync(named)).toBe(true);
    expect(existsSync(join(home, '.local'))).toBe(false);
  });

  it('a log that cannot be written is refused before the database is touched, naming what chose it', async () => {
    const home = join(world.dir, 'home-d');
    mkdirSync(home);
    writeFileSync(join(home, '.local'), 'a file where the folder should be');
    const db = join(world.dir, 'untouched.db');
    const args = ['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--json'];
    const viaHome = await runCli(args, { cwd: '/', env: { MIGSEAL_AUDIT_LOG: undefined, HOME: home, XDG_STATE_HOME: undefined } });
    expect(viaHome.code).toBe(1);
    expect(JSON.parse(viaHome.stdout).code).toBe('IO');
    expect(viaHome.stderr).toContain(`Cannot write the audit log ${join(home, '.local', 'state', 'migseal', 'audit.jsonl')} (the default under the home folder)`);
    const viaVariable = await runCli(args, { cwd: '/', env: { MIGSEAL_AUDIT_LOG: join(home, '.local', 'x.jsonl'), HOME: home } });
    expect(viaVariable.code).toBe(1);
    expect(viaVariable.stderr).toContain('(named by MIGSEAL_AUDIT_LOG)');
    const viaFlag = await runCli([...args, '--audit-log', join(home, '.local', 'y.jsonl')], { cwd: '/', env: { HOME: home } });
    expect(viaFlag.code).toBe(1);
    expect(viaFlag.stderr).toContain('(named by --audit-log)');
    expect(existsSync(db)).toBe(false);
  });
});
