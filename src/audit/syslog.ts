/**
 * The syslog sink: each audit record, as the same JSON line the file holds, sent to the
 * host's syslog socket (/dev/log, where journald or rsyslog listens; MIGSEAL_SYSLOG_SOCKET
 * names another) through util-linux's `logger`. Node cannot send on a Unix datagram socket,
 * and logger speaks every framing a local syslog daemon reads (datagram, then stream). The
 * record travels on logger's standard input, never in its arguments, so the process list
 * shows nothing of it. Tag `migseal`, the runner's pid, priority from the outcome.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MigsealError } from '../errors.js';

export const DEFAULT_SYSLOG_SOCKET = '/dev/log';
/** logger's own limit is 1 KiB per message; a record is sent whole up to this. */
const MAX_MESSAGE_BYTES = 64 * 1024;
const LOGGER_TIMEOUT_MS = 10_000;

export interface SyslogTarget {
  logger: string;
  socket: string;
}

/** Where records would go, or a clear refusal (IO) when this host has no syslog to send them to. */
export function findSyslog(env: Record<string, string | undefined>): SyslogTarget {
  const socket = env.MIGSEAL_SYSLOG_SOCKET || DEFAULT_SYSLOG_SOCKET;
  const why = socketProblem(socket);
  if (why) throw new MigsealError('IO', `--audit-sink syslog: ${socket} ${why}, so this host has no syslog to send audit records to; nothing was run. Run a syslog daemon or journald, name its socket with MIGSEAL_SYSLOG_SOCKET, or leave syslog out.`);
  const logger = findOnPath('logger', env.PATH);
  if (!logger) throw new MigsealError('IO', '--audit-sink syslog needs the logger program (util-linux, Debian\'s bsdutils), which is not on PATH; nothing was run.');
  return { logger, socket };
}

/** Sends one record; IO when logger could not deliver it. */
export function sendToSyslog(target: SyslogTarget, line: string, outcome: unknown): void {
  // node:child_process (with node:net and node:dgram) is loaded only when a record goes to syslog, not by every run.
  const { spawnSync } = process.getBuiltinModule('node:child_process');
  const result = spawnSync(target.logger, ['--socket-errors=on', '--socket', target.socket, '--tag', 'migseal', `--id=${process.pid}`, '--priority', priority(outcome), '--size', String(MAX_MESSAGE_BYTES)], {
    input: `${line}\n`,
    timeout: LOGGER_TIMEOUT_MS,
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '' },
  });
  if (result.error || result.status !== 0) {
    const said = result.error ? result.error.message : result.stderr.toString('utf8').trim().split('\n')[0] || `exit ${result.status}`;
    throw new MigsealError('IO', `Cannot send the audit record to syslog at ${target.socket}: ${said.replace(/\.$/, '')}.`, { cause: result.error });
  }
}

/** The record's outcome as a syslog priority (facility user). */
export function priority(outcome: unknown): string {
  if (outcome === 'failed' || outcome === 'error' || outcome === 'unavailable') return 'user.err';
  if (outcome === 'refused') return 'user.warning';
  return 'user.notice';
}

function socketProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isSocket()) return 'is not a socket';
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'may not be written by this user' : `cannot be used (${code ?? 'unknown error'})`;
  }
}

function findOnPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}
