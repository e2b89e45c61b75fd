import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendAuditRecord, GENESIS, verifyAuditLog } from '../../src/audit/log.js';
import { canonicalLine, recordHash, sha256Hex } from '../../src/audit/record.js';
import { removeDir, tempDir } from '../helpers/fixtures.js';

const dirs: string[] = [];
function logPath(): string {
  const dir = tempDir('migseal-audit-');
  dirs.push(dir);
  return join(dir, 'audit.jsonl');
}
afterEach(() => dirs.splice(0).forEach(removeDir));

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').slice(0, -1);
}

describe('appendAuditRecord', () => {
  it('chains each record to the exact bytes of the line before it', () => {
    const path = logPath();
    appendAuditRecord(path, { event: 'plan', release: '42' }, { env: {} });
    appendAuditRecord(path, { event: 'apply', release: '42', outcome: 'ok' }, { env: {} });
    appendAuditRecord(path, { event: 'refusal', code: 'MIGRATION_DRIFT' }, { env: {} });
    const [first, second, third] = lines(path).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({ seq: 1, prev: GENESIS, event: 'plan' });
    expect(second).toMatchObject({ seq: 2, prev: sha256Hex(lines(path)[0]!), event: 'apply' });
    expect(third).toMatchObject({ seq: 3, prev: sha256Hex(lines(path)[1]!) });
    for (const record of [first!, second!, third!]) {
      expect(record.hash).toBe(recordHash(record));
      expect(typeof record.time).toBe('string');
      expect(Number.isNaN(Date.parse(record.time as string))).toBe(false);
      expect(typeof record.host).toBe('string');
      expect(typeof record.user).toBe('string');
    }
    expect(verifyAuditLog(path)).toEqual({ ok: true, records: 3, lastHash: sha256Hex(lines(path)[2]!) });
  });

  it('writes canonical JSON: sorted keys, no whitespace, one line per record', () => {
    const path = logPath();
    appendAuditRecord(path, { zeta: 1, alpha: { b: 2, a: [1, 'x'] } }, { env: {} });
    const [line] = lines(path);
    expect(line).toBe(canonicalLine(JSON.parse(line!) as Record<string, unknown>));
    expect(line!.startsWith('{"alpha":{"a":[1,"x"],"b":2},"hash":')).toBe(true);
  });

  it('does not let a caller set the fields the log owns', () => {
    const path = logPath();
    appendAuditRecord(path, { event: 'a' }, { env: {} });
    appendAuditRecord(path, { event: 'b', seq: 99, prev: GENESIS, hash: 'f'.repeat(64), user: 'someone-else' }, { env: {} });
    const second = JSON.parse(lines(path)[1]!) as Record<string, unknown>;
    expect(second.seq).toBe(2);
    expect(second.prev).not.toBe(GENESIS);
    expect(second.user).not.toBe('someone-else');
    expect(verifyAuditLog(path).ok).toBe(true);
  });

  it('never stores credentials: password fields, URL passwords, password= pairs, secret env values', () => {
    const path = logPath();
    const env = { PGPASSWORD: 'pg-Secret-4711', MIGSEAL_KEY_PASSPHRASE: 'key-Secret-0815', HOME: '/root' };
    appendAuditRecord(
      path,
      {
        event: 'refusal',
        database: 'postgres://deploy:url-Secret-99@db.internal:5432/shop',
        password: 'field-Secret-1',
        nested: { dbPassword: 'field-Secret-2', conninfo: 'host=db password=kv-Secret-3 dbname=shop' },
        error: 'connection failed for pg-Secret-4711 and key-Secret-0815',
        duration: 12.5,
      },
      { env },
    );
    const text = readFileSync(path, 'utf8');
    expect(text).not.toMatch(/Secret/);
    const record = JSON.parse(text) as Record<string, any>;
    expect(record.database).toBe('postgres://deploy:***@db.internal:5432/shop');
    expect(record.password).toBe('[redacted]');
    expect(record.nested.dbPassword).toBe('[redacted]');
    expect(record.nested.conninfo).toBe('host=db password=*** dbname=shop');
    expect(record.duration).toBe('12.5');
    expect(verifyAuditLog(path).ok).toBe(true);
  });

  it('does not scrub plain values or file paths of secret-named variables from ordinary text', () => {
    const path = logPath();
    const env = { SKIP_TOKEN_CHECK: 'true', MIGSEAL_DATABASE_PASSWORD_FILE: '/run/secrets/db', PGPASSWORD: 'abc' };
    appendAuditRecord(path, { note: 'dirty: true; password read from /run/secrets/db; abc order' }, { env });
    expect((JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>).note).toBe('dirty: true; password read from /run/secrets/db; abc order');
  });

  it('closes off a torn last line and keeps chaining; verify names the torn line', () => {
    const path = logPath();
    appendAuditRecord(path, { event: 'a' }, { env: {} });
    appendAuditRecord(path, { event: 'b' }, { env: {} });
    appendFileSync(path, '{"event":"c","ha');
    const next = appendAuditRecord(path, { event: 'd' }, { env: {} });
    expect(next.seq).toBe(4);
    const all = lines(path);
    expect(all[2]).toBe('{"event":"c","ha');
    expect((JSON.parse(all[3]!) as Record<string, unknown>).prev).toBe(sha256Hex(all[2]!));
    const result = verifyAuditLog(path);
    expect(result.ok).toBe(false);
    expect(result.firstBroken?.line).toBe(3);
    expect(result.firstBroken?.reason).toMatch(/not valid JSON/);
  });
});

describe('verifyAuditLog', () => {
  it('accepts an empty log', () => {
    const path = logPath();
    writeFileSync(path, '');
    expect(verifyAuditLog(path)).toEqual({ ok: true, records: 0 });
  });

  it('refuses a record edited with its hash recomputed, at the record after it', () => {
    const path = logPath();
    for (const event of ['a', 'b', 'c']) appendAuditRecord(path, { event }, { env: {} });
    const all = lines(path);
    const edited = JSON.parse(all[1]!) as Record<string, unknown>;
    edited.event = 'forged';
    edited.hash = recordHash(edited);
    all[1] = canonicalLine(edited);
    writeFileSync(path, `${all.join('\n')}\n`);
    expect(verifyAuditLog(path).firstBroken).toEqual({ line: 3, reason: expect.stringMatching(/prev does not match/) });
  });

  it('refuses a line that is valid but re-serialized', () => {
    const path = logPath();
    appendAuditRecord(path, { event: 'a' }, { env: {} });
    writeFileSync(path, `${JSON.stringify(JSON.parse(lines(path)[0]!), null, 1).replace(/\n/g, '')}\n`);
    expect(verifyAuditLog(path).firstBroken).toEqual({ line: 1, reason: expect.stringMatching(/canonical/) });
  });
});
