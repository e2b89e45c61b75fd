import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, type CliResult } from '../helpers/cli.js';
import { makeKey, packBundle, removeDir, SHOP_MIGRATIONS, tempDir, writeMigrations, writePolicy, type TestKey } from '../helpers/fixtures.js';
import { writePrivateFolder } from '../../src/exec/private-folder.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

let dir: string;
let release: TestKey;
let policy: string;
let bundle: string;
let auditDir: string;

beforeAll(async () => {
  dir = tempDir('migseal-exec-test-');
  chmodSync(dir, 0o755);
  release = makeKey(dir, 'release');
  policy = writePolicy(dir, { keys: [{ key: release, roles: ['release'] }] });
  const migrations = writeMigrations(join(dir, 'migrations'), SHOP_MIGRATIONS);
  bundle = join(dir, 'shop-42.migseal');
  writeFileSync(bundle, await packBundle({ dir: migrations, signers: [{ signer: release.signer, role: 'release' }] }), { mode: 0o644 });
  auditDir = join(dir, 'audit');
  mkdirSync(auditDir, { mode: 0o700 });
  if (isRoot) chownSync(auditDir, NOBODY, NOBODY);
});

afterAll(() => removeDir(dir));

function exec(command: string[], options: { bundlePath?: string; extra?: string[] } = {}): Promise<CliResult> {
  return runCli(['exec', options.bundlePath ?? bundle, '--trust', policy, '--audit-log', join(auditDir, 'audit.jsonl'), ...(options.extra ?? []), '--', ...command]);
}

function auditRecords(): Array<Record<string, unknown>> {
  return readFileSync(join(auditDir, 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Runs the CLI as another user: root ignores file permissions, so the read-only check needs one. */
function runAs(uid: number, args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: dir, env: { HOME: '/tmp', MIGSEAL_AUDIT_LOG: undefined }, ...(isRoot && { uid }) });
}

describe('migseal exec', () => {
  it('hands the verified files to the command in a folder it can read but not change', async () => {
    const script = [
      'cd "$1" || exit 90',
      'cat 1_create_users.up.sql',
      'touch new.sql 2>/dev/null; echo "create=$?"',
      '(echo "-- edited" >> 2_create_orders.up.sql) 2>/dev/null; echo "append=$?"',
      'rm -f 3_index_orders.up.sql 2>/dev/null; echo "remove=$?"',
      'mv 1_create_users.down.sql moved.sql 2>/dev/null; echo "rename=$?"',
      'ls',
      'stat -c "%a %U" . 1_create_users.up.sql',
    ].join('\n');
    const result = await runAs(NOBODY, ['exec', bundle, '--trust', policy, '--audit-log', join(auditDir, 'audit.jsonl'), '--', 'sh', '-c', script, 'sh', '{dir}']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(SHOP_MIGRATIONS['1_create_users.up.sql']);
    for (const op of ['create', 'append', 'remove', 'rename']) expect(result.stdout).toMatch(new RegExp(`${op}=[1-9]`));
    expect(result.stdout).toContain('3_index_orders.up.sql');
    expect(result.stdout).not.toContain('new.sql');
    expect(result.stdout).toMatch(/^500 \S+\n400 \S+\n$/m);
  });

  it('writes files 0400 in directories 0500 and removes them all', () => {
    const folder = writePrivateFolder(new Map([['a.sql', Buffer.from('x')], ['sub/deeper/b.sql', Buffer.from('y')]]));
    expect(statSync(folder.path).mode & 0o777).toBe(0o500);
    expect(statSync(join(folder.path, 'sub/deeper')).mode & 0o777).toBe(0o500);
    expect(statSync(join(folder.path, 'sub/deeper/b.sql')).mode & 0o777).toBe(0o400);
    expect(readFileSync(join(folder.path, 'a.sql'), 'utf8')).toBe('x');
    folder.remove();
    expect(existsSync(folder.path)).toBe(false);
  });

  it('passes the exit code through and removes the folder after a failure', async () => {
    const result = await exec(['sh', '-c', 'echo "$1"; exit 42', 'sh', '{dir}']);
    expect(result.code).toBe(42);
    const folder = result.stdout.trim();
    expect(folder).toMatch(/migseal-exec-/);
    expect(existsSync(folder)).toBe(false);
    const last = auditRecords().at(-1)!;
    expect(last).toMatchObject({ event: 'exec', outcome: 'failed', exitCode: 42, project: 'shop', release: '42' });
  });

  it('--audit-sink stdout sends each record as the file\'s exact line, around the command\'s own output', async () => {
    const result = await exec(['sh', '-c', 'echo ran'], { extra: ['--audit-sink', 'stdout'] });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const file = readFileSync(join(auditDir, 'audit.jsonl'), 'utf8').trimEnd().split('\n').slice(-2);
    expect(file.map((l) => JSON.parse(l).outcome)).toEqual(['started', 'succeeded']);
    expect(result.stdout).toBe(`${file[0]}\nran\n${file[1]}\n`);
  });

  it('replaces {dir} inside words, and gives the release id in the environment', async () => {
    const result = await exec(['sh', '-c', 'echo "$1"; echo "$MIGSEAL_RELEASE_ID"; test "$2" = "$MIGSEAL_EXEC_DIR"', 'sh', '--configuration={dir}/migrations.php', '{dir}']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^--configuration=\/.+\/migseal-exec-[^/]+\/migrations\.php\nsha256:[0-9a-f]{64}\n$/);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('forwards %s to the command and still removes the folder', async (signal, expected) => {
    const child = spawn(process.execPath, [BIN, 'exec', bundle, '--trust', policy, '--audit-log', join(auditDir, 'audit.jsonl'), '--', 'sh', '-c', 'echo "$1"; exec sleep 30', 'sh', '{dir}'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    let stdout = '';
    const folder = await new Promise<string>((resolve) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes('\n')) resolve(stdout.trim());
      });
    });
    expect(existsSync(folder)).toBe(true);
    const started = Date.now();
    child.kill(signal);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    // Promptly: far less than the 30 s the command would sleep if the signal did not reach it.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(code).toBe(expected);
    expect(existsSync(folder)).toBe(false);
    expect(auditRecords().at(-1)).toMatchObject({ outcome: 'failed', signal, exitCode: expected });
  });

  it('T4.1 never starts the command for an unsigned bundle', async () => {
    const unsigned = join(dir, 'unsigned.migseal');
    writeFileSync(unsigned, await packBundle({ dir: join(dir, 'migrations') }));
    const marker = join(dir, 'marker-unsigned');
    const result = await exec(['touch', marker], { bundlePath: unsigned });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/refused/);
    expect(existsSync(marker)).toBe(false);
    expect(auditRecords().at(-1)).toMatchObject({ event: 'exec', outcome: 'refused', code: 'BUNDLE_UNSIGNED' });
  });

  it('never starts the command for a bundle signed by a key the policy does not trust', async () => {
    const stranger = makeKey(tempDir(), 'stranger');
    const foreign = join(dir, 'foreign.migseal');
    writeFileSync(foreign, await packBundle({ dir: join(dir, 'migrations'), signers: [{ signer: stranger.signer, role: 'release' }] }));
    const marker = join(dir, 'marker-foreign');
    const result = await exec(['touch', marker], { bundlePath: foreign, extra: ['--json'] });
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, exitCode: 2 });
    expect(existsSync(marker)).toBe(false);
  });

  it('leaves flags after -- to the command', async () => {
    const result = await exec(['sh', '-c', 'echo "args:$*"', 'sh', '--json', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('args:--json --help\n');
  });

  it('needs a command after --, and a runnable one', async () => {
    const none = await runCli(['exec', bundle, '--trust', policy, '--audit-log', join(auditDir, 'audit.jsonl')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('needs a command after "--"');
    const missing = await exec(['/nonexistent/tool', '{dir}']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such program');
  });
});

// T5.16: another local user swaps exec's private folder for one of their own, between its creation and the command.
describe.runIf(isRoot)('exec refuses a temporary folder another local user could swap its private folder in (T5.16)', () => {
  async function execWithTmp(tmp: string): Promise<{ result: CliResult; marker: string }> {
    const marker = join(dir, `ran-${Math.random().toString(36).slice(2)}`);
    const result = await runCli(['exec', bundle, '--trust', policy, '--audit-log', join(auditDir, 'audit.jsonl'), '--json', '--', 'sh', '-c', 'touch "$0"', marker], { env: { TMPDIR: tmp } });
    return { result, marker };
  }

  it.each([
    ['world-writable without the sticky bit', 0o777, 0, /is writable by others \(mode 0777\)/],
    ['group-writable', 0o775, 0, /is writable by its group \(mode 0775\)/],
    ['owned by another user', 0o755, NOBODY, /is owned by user nobody \(uid 65534\)/],
  ] as const)('TMPDIR %s: refused before the command starts, nothing left behind', async (_, mode, owner, message) => {
    const tmp = join(dir, `tmp-${mode.toString(8)}-${owner}`);
    mkdirSync(tmp);
    chmodSync(tmp, mode);
    chownSync(tmp, owner, owner);
    const { result, marker } = await execWithTmp(tmp);
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as { code: string; message: string };
    expect(report.code).toBe('IO');
    expect(report.message).toMatch(message);
    expect(report.message).toMatch(/Another local user could swap the private folder; set TMPDIR to a folder only you or root can write/);
    expect(existsSync(marker)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.startsWith('migseal-exec-'))).toEqual([]);
  });

  it('TMPDIR behind a symbolic link into a world-writable folder: refused', async () => {
    const open = join(dir, 'open-tmp');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const link = join(dir, 'tmp-link');
    symlinkSync(open, link);
    const { result, marker } = await execWithTmp(link);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).message).toMatch(/open-tmp is writable by others .*reached through the symbolic link/);
    expect(existsSync(marker)).toBe(false);
  });

  it('control: a sticky world-writable TMPDIR owned by root, like /tmp, is used', async () => {
    const sticky = join(dir, 'sticky-tmp');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    const { result, marker } = await execWithTmp(sticky);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(readdirSync(sticky).filter((f) => f.startsWith('migseal-exec-'))).toEqual([]);
  });
});
