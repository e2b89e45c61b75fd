/**
 * --audit-sink stdout|syslog: the same JSON lines as the audit log file, sent as they are
 * written. Real CLI, real bundle, real SQLite; syslog through the host's logger to a Unix
 * socket the test listens on (MIGSEAL_SYSLOG_SOCKET), as journald would on /dev/log.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf } from '../helpers/refusal.js';
import { makeReleaseWorld, type ReleaseWorld } from '../helpers/release-world.js';
import { priority } from '../../src/audit/syslog.js';

let world: ReleaseWorld;
let bundle: string;
let n = 0;
const lines = (path: string) => readFileSync(path, 'utf8').trimEnd().split('\n');

beforeAll(async () => {
  world = await makeReleaseWorld();
  bundle = await world.bundle({ '1_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n' }, { dialect: 'sqlite' });
});
afterAll(() => world.cleanup());

/** apply with its own audit log and database; returns the run and that log's path. */
async function apply(args: string[], env: Record<string, string> = {}) {
  const log = join(world.dir, `sink-${++n}.jsonl`);
  const db = join(world.dir, `sink-${n}.db`);
  const result = await world.migseal(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, ...args], { MIGSEAL_AUDIT_LOG: log, ...env });
  return { result, log, db };
}

describe('--audit-sink stdout', () => {
  it("prints each record as the file's exact line, before the command's own output", async () => {
    const { result, log } = await apply(['--audit-sink', 'stdout']);
    expect(result.code, result.stderr).toBe(0);
    const file = lines(log);
    expect(file.map((l) => JSON.parse(l).outcome)).toEqual(['started', 'applied']);
    const out = result.stdout.trimEnd().split('\n');
    expect(out.slice(0, 2)).toEqual(file);
    expect(out[2]).toMatch(/^verified shop release 1/);
  });

  it('MIGSEAL_AUDIT_SINK names it too, and a command that fails before anything ran reaches it', async () => {
    const tampered = join(world.dir, 'no-such.migseal');
    const log = join(world.dir, 'refused.jsonl');
    const result = await world.migseal(['apply', tampered, '--trust', world.policy, '--db', `sqlite:${join(world.dir, 'r.db')}`], { MIGSEAL_AUDIT_LOG: log, MIGSEAL_AUDIT_SINK: 'stdout' });
    expect(result.code).toBe(1);
    expect(result.stdout.trimEnd()).toBe(lines(log).at(-1));
    expect(JSON.parse(result.stdout).outcome).toBe('error');
  });

  it('refuses an unknown sink, and stdout with --json, before anything runs', async () => {
    const unknown = await apply(['--audit-sink', 'stdout,kafka', '--json']);
    expect([unknown.result.code, codeOf(unknown.result)]).toEqual([1, 'USAGE']);
    expect(unknown.result.stdout).toContain('--audit-sink takes stdout or syslog (the audit log file is always written), not \\"kafka\\"');
    const both = await apply(['--audit-sink', 'stdout', '--json']);
    expect(both.result.stderr).toContain('--audit-sink stdout and --json both write to standard output; choose one');
    for (const run of [unknown, both]) expect(() => statSync(run.db)).toThrow();
  });
});

describe('--audit-sink syslog', () => {
  let server: Server;
  let received = '';
  const socket = () => join(world.dir, 'log.sock');

  beforeAll(async () => {
    server = createServer((c) => c.on('data', (d) => (received += d.toString('utf8'))));
    await new Promise<void>((resolve) => server.listen(socket(), resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends every record, tagged migseal with the runner pid, priority from its outcome, the record on stdin', async () => {
    const { result, log } = await apply(['--audit-sink', 'syslog'], { MIGSEAL_SYSLOG_SOCKET: socket() });
    expect(result.code, result.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    const messages = received.trimEnd().split('\n');
    expect(messages).toHaveLength(2);
    const file = lines(log);
    messages.forEach((message, i) => {
      // RFC 3164 as a local syslog daemon reads it: <PRI>TIMESTAMP TAG[PID]: MSG (facility user, notice = 13).
      expect(message).toMatch(/^<13>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d migseal\[\d+\]: /);
      expect(message.slice(message.indexOf(']: ') + 3)).toBe(file[i]);
    });
  });

  it('refuses before anything runs when the host has no syslog socket', async () => {
    const missing = join(world.dir, 'no-log.sock');
    const { result, db } = await apply(['--audit-sink', 'syslog'], { MIGSEAL_SYSLOG_SOCKET: missing });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`migseal: error: --audit-sink syslog: ${missing} does not exist, so this host has no syslog to send audit records to; nothing was run. Run a syslog daemon or journald, name its socket with MIGSEAL_SYSLOG_SOCKET, or leave syslog out.\n`);
    expect(() => statSync(db)).toThrow();
    rmSync(missing, { force: true });
  });

  it('priorities: errors, refusals, the rest', () => {
    expect(['failed', 'error', 'unavailable', 'refused', 'applied', 'started'].map(priority)).toEqual(['user.err', 'user.err', 'user.err', 'user.warning', 'user.notice', 'user.notice']);
  });
});
