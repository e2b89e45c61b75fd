/** Starts the native tool without a shell, output passed straight through, and waits for its end. */
import { spawn } from 'node:child_process';
import { MigsealError } from '../errors.js';
import { exitCodeForSignal, type SignalRelay } from './signal-relay.js';

export interface CommandEnd {
  exitCode: number;
  signal?: NodeJS.Signals;
}

export function runCommand(argv: readonly string[], options: { env: Record<string, string | undefined>; relay: SignalRelay }): Promise<CommandEnd> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: options.env, stdio: 'inherit', shell: false });
    options.relay.attach(child);
    child.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? 'no such program' : error.code === 'EACCES' ? 'permission denied' : (error.code ?? error.message);
      reject(new MigsealError('IO', `Cannot start ${argv[0]}: ${why}.`, { cause: error }));
    });
    child.once('exit', (code, signal) => {
      resolve(signal ? { exitCode: exitCodeForSignal(signal), signal } : { exitCode: code ?? 1 });
    });
  });
}
