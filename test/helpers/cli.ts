/** Runs the built CLI as a user would: a real process, real files, captured output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = fileURLToPath(new URL('../../bin/migseal.js', import.meta.url));

const DEFAULT_AUDIT_LOG = join(tmpdir(), `migseal-test-audit-${process.pid}.jsonl`);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** Added to (or, with undefined, removed from) the environment the helper gives the child. */
  env?: Record<string, string | undefined>;
  input?: string;
  /** Run as this user (and its group of the same number): only root may ask. */
  uid?: number;
}

/**
 * Runs `node ARGV...` (a script and its arguments, node's own flags first) to its end and
 * collects what it printed. The child's environment is `env` alone (entries set to undefined
 * left out), so nothing of the test runner's leaks in.
 */
export function runNode(argv: string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: options.cwd,
      env: options.env ?? {},
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.uid !== undefined && { uid: options.uid, gid: options.uid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    // A child that exits without reading its input closes the pipe (EPIPE): its exit code and output tell what happened.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  // Runner commands append to an audit log in the working directory unless told otherwise;
  // tests that do not name one keep it out of the checkout.
  return runNode([BIN, ...args], { ...options, env: { PATH: process.env.PATH, HOME: process.env.HOME, MIGSEAL_AUDIT_LOG: DEFAULT_AUDIT_LOG, ...options.env } });
}

/**
 * Starts the CLI as runCli does, without waiting: the process (to signal it, or read its pid)
 * and its result once it ends.
 */
export function startCli(args: string[], options: RunOptions = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MIGSEAL_AUDIT_LOG: DEFAULT_AUDIT_LOG, ...options.env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  return { child, done };
}

/** Parses the JSON document a command printed with --json. */
export function jsonOf(result: CliResult): Record<string, unknown> {
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/**
 * Runs the built CLI on a real pseudo-terminal (util-linux `script`), so stdin and stdout are
 * a terminal as when an operator types; `input` is typed into it. Output is what the terminal
 * showed (stdout and stderr together, with the echo of what was typed).
 */
export function runCliOnTerminal(args: string[], options: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {}): Promise<{ code: number; screen: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const line = [process.execPath, BIN, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', line, '/dev/null'], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'dumb', MIGSEAL_AUDIT_LOG: DEFAULT_AUDIT_LOG, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.on('data', (d) => (screen += d));
    child.stderr.on('data', (d) => (screen += d));
    child.on('error', reject);
    // A command that waits for an answer it was not given would hang the test: it is stopped.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, screen: screen.replace(/\r\n/g, '\n') });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
