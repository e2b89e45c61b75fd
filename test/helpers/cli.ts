/** Runs the built CLI as a user would: a real process, real files, captured output. */
import { spawn } from 'node:child_process';
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

export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      // Runner commands append to an audit log in the working directory unless told otherwise;
      // tests that do not name one keep it out of the checkout.
      env: { PATH: process.env.PATH, HOME: process.env.HOME, MIGSEAL_AUDIT_LOG: DEFAULT_AUDIT_LOG, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
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

/** Parses the JSON document a command printed with --json. */
export function jsonOf(result: CliResult): Record<string, unknown> {
  return JSON.parse(result.stdout) as Record<string, unknown>;
}
