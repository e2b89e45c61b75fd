/**
 * Exit codes a pipeline can trust, through the real CLI: 1 usage or an unreadable input,
 * 2 refused, 4 the database could not be reached, opened, read or locked (nothing ran). Only
 * a migration that was running exits 3 (test/apply). Each case asserts the code, the error
 * code, the message, and that nothing changed.
 */
import { chmodSync, copyFileSync, existsSync, rmSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOf, runCli, type CliResult } from '../helpers/cli.js';
import { removeDir, writeMigrations, writePolicy } from '../helpers/fixtures.js';
import { codeOf, createWorld, dumpSqlite, V1, type RunnerWorld } from '../helpers/runner-world.js';

let world: RunnerWorld;
beforeAll(() => {
  world = createWorld('migseal-exit-');
  chmodSync(world.dir, 0o755);
});
afterAll(() => removeDir(world.dir));

const isRoot = process.getuid?.() === 0;

/** Runs the CLI as `nobody` when the tests run as root (root writes any file), else as ourselves. */
function asOtherUser(args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: world.dir, env: { HOME: undefined, MIGSEAL_AUDIT_LOG: join(world.dir, 'shared', 'audit.jsonl') }, ...(isRoot && { uid: 65534 }) });
}

describe('usage and unreadable inputs: exit 1, USAGE or IO', () => {
  it('pack never overwrites a bundle without --force', async () => {
    const dir = writeMigrations(join(world.dir, 'pack-src'), V1);
    const out = join(world.dir, 'packed.migseal');
    const args = ['pack', dir, '--project', 'shop', '--release', '1', '--key', world.release.privatePath, '--out', out, '--json'];
    expect((await world.cli(args)).code).toBe(0);
    writeFileSync(out, 'an earlier release');
    const again = await world.cli(args);
    expect(again.code).toBe(1);
    expect(codeOf(again)).toBe('IO');
    expect(again.stderr).toBe(`migseal: error: ${out} already exists; pass --force to overwrite it.\n`);
    expect(readFileSync(out, 'utf8')).toBe('an earlier release');
    const forced = await world.cli([...args, '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(out).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });

  it('pack of a folder that does not exist', async () => {
    const result = await world.cli(['pack', join(world.dir, 'no-such-folder'), '--project', 'shop', '--release', '1', '--out', join(world.dir, 'x.migseal'), '--json']);
    expect(result.code).toBe(1);
    expect(codeOf(result)).toBe('IO');
    expect(result.stderr).toMatch(/Cannot read the migrations folder .*no-such-folder: no such folder\.$/m);
  });

  it('sign says which file it wrote', async () => {
    const bundle = await world.bundle('to-sign', V1);
    const out = join(world.dir, 'cosigned.migseal');
    const result = await world.cli(['sign', bundle, '--key', world.approver.privatePath, '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`wrote       ${out}\n`);
    expect(existsSync(out)).toBe(true);
  });

  it('a missing trust policy reads the same in every command', async () => {
    const bundle = await world.bundle('no-policy', V1);
    const db = `sqlite:${join(world.dir, 'no-policy.sqlite')}`;
    for (const args of [['verify', bundle], ['plan', bundle, '--db', db], ['apply', bundle, '--db', db], ['audit', bundle], ['status', '--db', db, '--bundle', bundle], ['diff', bundle, bundle]]) {
      const result = await world.cli([...args, '--trust', 'keys/trust.json']);
      expect(result.code, args[0]).toBe(1);
      expect(result.stderr, args[0]).toBe('migseal: error: Cannot read the trust policy keys/trust.json: no such file.\n');
    }
    expect(existsSync(join(world.dir, 'no-policy.sqlite'))).toBe(false);
  });

  it('--env is required when the policy has no default environment: a usage error naming its environments', async () => {
    const dir = join(world.dir, 'envs');
    mkdirSync(dir, { mode: 0o700 });
    copyFileSync(world.release.publicPath, join(dir, 'release.pub'));
    const policy = writePolicy(dir, { keys: [{ key: world.release, roles: ['release'] }], environments: { staging: { release: 1 }, production: { release: 1 } } });
    const bundle = await world.bundle('envs', V1);
    const result = await world.cli(['verify', bundle, '--trust', policy, '--json']);
    expect(result.code).toBe(1);
    expect(codeOf(result)).toBe('USAGE');
    expect(result.stderr).toBe('migseal: error: --env is required: the trust policy has no "default" environment; name one of staging, production.\n');
    expect((await world.cli(['verify', bundle, '--trust', policy, '--env', 'staging'])).code).toBe(0);
    const unknown = await world.cli(['verify', bundle, '--trust', policy, '--env', 'prod', '--json']);
    expect(unknown.code).toBe(2);
    expect(codeOf(unknown)).toBe('ENVIRONMENT_UNKNOWN');
  });

  it("the parser's complaints in migseal's words, with the nearest flag or command", async () => {
    const cases: Array<[string[], string]> = [
      [['verify', 'x.migseal', '--tust', 'p.json'], 'migseal: error: verify has no flag --tust; did you mean --trust? Usage: migseal verify BUNDLE --trust FILE [--env NAME] | --key FILE | --certificate-identity ID --certificate-oidc-issuer URL [--trusted-root FILE] [--json]\n'],
      [['verify', 'x.migseal', '--trust'], 'migseal: error: --trust needs a value (FILE). Usage: migseal verify BUNDLE --trust FILE [--env NAME] | --key FILE | --certificate-identity ID --certificate-oidc-issuer URL [--trusted-root FILE] [--json]\n'],
      [['verify', 'x.migseal', '--json=yes'], 'migseal: error: --json takes no value. Usage: migseal verify BUNDLE --trust FILE [--env NAME] | --key FILE | --certificate-identity ID --certificate-oidc-issuer URL [--trusted-root FILE] [--json]\n'],
      [['apply', 'x.migseal', '--frobnicate'], 'migseal: error: apply has no flag --frobnicate. Usage: migseal apply BUNDLE --trust FILE [--env NAME] [--db URL [--to VERSION] | --targets FILE [--canary N] [--wave N] [--parallel N] [--shard I/N] [--report FILE]] [--lock-timeout SECONDS] [--json]\n'],
      [['keys'], 'migseal: error: migseal keys needs a subcommand. It has: migseal keys generate.\n'],
      [['keys', 'gen'], 'migseal: error: migseal keys has no subcommand "gen"; did you mean "migseal keys generate"? It has: migseal keys generate.\n'],
      [['ca'], 'migseal: error: migseal ca needs a subcommand. It has: migseal ca init, migseal ca issue.\n'],
      [['aply'], 'migseal: error: Unknown command "aply"; did you mean "migseal apply"? Run "migseal help" for the list.\n'],
      [['constructor'], 'migseal: error: Unknown command "constructor". Run "migseal help" for the list.\n'],
      [['toString', 'x'], 'migseal: error: Unknown command "toString". Run "migseal help" for the list.\n'],
    ];
    for (const [args, stderr] of cases) {
      const result = await world.cli(args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toBe(stderr);
    }
    expect(jsonOf(await world.cli(['keys', '--json']))).toMatchObject({ ok: false, code: 'USAGE', exitCode: 1 });
  });
});

describe('the database cannot be used: exit 4, nothing ran', () => {
  it('a SQLite database in a folder that does not exist', async () => {
    const bundle = await world.bundle('no-folder', V1);
    const path = join(world.dir, 'missing', 'shop.sqlite');
    for (const verb of ['apply', 'plan']) {
      const result = await world.cli([verb, bundle, '--trust', world.policy, '--db', `sqlite:${path}`, '--json']);
      if (verb === 'plan') {
        // plan opens read-only and creates nothing: a missing file is an empty database.
        expect(result.code).toBe(0);
        continue;
      }
      expect(result.code).toBe(4);
      expect(codeOf(result)).toBe('DATABASE_UNAVAILABLE');
      expect(result.stderr).toBe(`migseal: unavailable: Cannot open the SQLite database ${path}: its folder ${join(world.dir, 'missing')} does not exist.\n`);
    }
    const resolve = await world.cli(['resolve', '--db', `sqlite:${path}`, '--version', '1', '--as', 'applied', '--reason', 'r', '--json']);
    expect(resolve.code).toBe(4);
    expect(existsSync(join(world.dir, 'missing'))).toBe(false);
  });

  it('a file that is not a database: status, history, plan and apply', async () => {
    const path = join(world.dir, 'text.sqlite');
    writeFileSync(path, `${'not a database '.repeat(10)}\n`);
    const bundle = await world.bundle('text', V1);
    for (const args of [['status'], ['history'], ['plan', bundle, '--trust', world.policy], ['apply', bundle, '--trust', world.policy], ['rollback', '--yes', bundle, '--trust', world.policy, '--to', '0']]) {
      const result = await world.cli([...args, '--db', `sqlite:${path}`, '--json']);
      expect(result.code, args[0]).toBe(4);
      expect(codeOf(result)).toBe('DATABASE_UNAVAILABLE');
      expect(result.stderr).toContain('file is not a database');
    }
  });

  it('PostgreSQL refusing the connection', async () => {
    const bundle = await world.bundle('refused', V1, { dialect: 'any' });
    // Port 1 on loopback: nothing listens there.
    const url = 'postgres://migseal@127.0.0.1:1/shop';
    for (const args of [['apply', bundle, '--trust', world.policy], ['plan', bundle, '--trust', world.policy], ['status'], ['history'], ['resolve', '--version', '1', '--as', 'applied', '--reason', 'r']]) {
      const result = await world.cli([...args, '--db', url, '--json']);
      expect(result.code, args[0]).toBe(4);
      expect(codeOf(result)).toBe('DATABASE_UNAVAILABLE');
      expect(result.stderr).toBe('migseal: unavailable: Cannot connect to postgres://migseal@127.0.0.1:1/shop: connection refused at 127.0.0.1:1 (is the server running and accepting connections there?).\n');
    }
  });

  it('the lock file cannot be created, or the database cannot be written: the file is named', async () => {
    const shared = join(world.dir, 'shared');
    mkdirSync(shared, { mode: 0o777 });
    chmodSync(shared, 0o777);
    const folder = join(world.dir, 'readonly-folder');
    mkdirSync(folder, { mode: 0o755 });
    const path = join(folder, 'shop.sqlite');
    expect((await world.cli(['apply', await world.bundle('ro', V1), '--trust', world.policy, '--db', `sqlite:${path}`])).code).toBe(0);
    chmodSync(path, 0o644);
    rmSync(`${path}-migseal-lock`, { force: true });
    if (!isRoot) chmodSync(folder, 0o555);
    const before = dumpSqlite(path);
    const user = `uid ${isRoot ? 65534 : process.getuid!()}`;
    const noLock = await asOtherUser(['resolve', '--db', `sqlite:${path}`, '--version', '1', '--as', 'applied', '--reason', 'r', '--json']);
    expect(noLock.code, noLock.stderr).toBe(4);
    expect(codeOf(noLock)).toBe('DATABASE_UNAVAILABLE');
    expect(noLock.stderr).toBe(`migseal: unavailable: Cannot take the runner lock for sqlite:${path}: unable to open database file: ${path}-migseal-lock: it cannot be created: the folder ${folder} is read-only for ${user}.\n`);

    // A folder the user may write, a database file it may not.
    chmodSync(folder, 0o777);
    if (!isRoot) chmodSync(path, 0o444);
    const readOnly = await asOtherUser(['resolve', '--db', `sqlite:${path}`, '--version', '1', '--as', 'applied', '--reason', 'r', '--json']);
    expect(readOnly.code, readOnly.stderr).toBe(4);
    expect(readOnly.stderr).toBe(`migseal: unavailable: Cannot write sqlite:${path}: ${path}: the file is read-only for ${user}.\n`);
    expect(dumpSqlite(path)).toBe(before);
    chmodSync(folder, 0o755);
  });
});
