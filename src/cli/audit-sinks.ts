/**
 * Where audit records go besides the file: --audit-sink stdout|syslog (repeatable, or a
 * comma list; else MIGSEAL_AUDIT_SINK). Each gets the exact JSON line the file got, after the
 * file did, so a central collector holds them even if the host is lost. A sink that cannot be
 * used is refused before anything runs; one that fails later fails the command like the file.
 */
import { MigsealError } from '../errors.js';
import { findSyslog, sendToSyslog } from '../audit/syslog.js';

export const SINKS = ['stdout', 'syslog'] as const;
export type SinkName = (typeof SINKS)[number];

export interface AuditSink {
  name: SinkName;
  send(line: string, outcome: unknown): void;
}

/** The sinks named, checked (USAGE for an unknown one, or stdout with --json). */
export function sinkNames(flags: Record<string, unknown>, env: Record<string, string | undefined>): SinkName[] {
  const given = Array.isArray(flags['audit-sink']) ? (flags['audit-sink'] as string[]) : env.MIGSEAL_AUDIT_SINK ? [env.MIGSEAL_AUDIT_SINK] : [];
  const names = new Set<SinkName>();
  for (const name of given.flatMap((g) => g.split(',')).map((n) => n.trim())) {
    if (name === '') continue;
    if (!SINKS.includes(name as SinkName)) throw new MigsealError('USAGE', `--audit-sink takes ${SINKS.join(' or ')} (the audit log file is always written), not "${name}".`);
    names.add(name as SinkName);
  }
  if (names.has('stdout') && flags.json === true) throw new MigsealError('USAGE', '--audit-sink stdout and --json both write to standard output; choose one (the records stay in the audit log file either way).');
  return [...names];
}

/** Opens the sinks: syslog is refused here when the host has none. */
export function openSinks(names: readonly SinkName[], env: Record<string, string | undefined>): AuditSink[] {
  return names.map((name): AuditSink => {
    if (name === 'stdout') return { name, send: (line) => void process.stdout.write(`${line}\n`) };
    const target = findSyslog(env);
    return { name, send: (line, outcome) => sendToSyslog(target, line, outcome) };
  });
}
