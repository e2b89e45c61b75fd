/**
 * The audit log lock: a file naming its owner. Locks left by processes that are gone are
 * taken over; a live owner, or one on another host, is waited for and then named.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withFileLock } from '../../src/audit/lock.js';
import { removeDir, tempDir } from '../helpers/fixtures.js';
import { refusal } from '../helpers/refusal.js';

let dir: string;
beforeAll(() => {
  dir = tempDir('migseal-audit-lock-');
});
afterAll(() => removeDir(dir));

const owner = (fields: Record<string, unknown>) => `${JSON.stringify({ host: hostname(), token: 'f'.repeat(32), ...fields })}\n`;

function lockedBy(name: string, contents: string): string {
  const path = join(dir, name);
  writeFileSync(path, contents);
  return path;
}

const refused = (path: string) => refusal(() => withFileLock(path, () => 'ran', 300));

describe('audit log lock', () => {
  it('names its owner while held, and is gone after', () => {
    const path = join(dir, 'own.lock');
    const seen = withFileLock(path, () => JSON.parse(readFileSync(path, 'utf8')) as { pid: number; host: string });
    expect(seen).toMatchObject({ pid: process.pid, host: hostname() });
    expect(existsSync(path)).toBe(false);
  });

  it('takes over a lock whose process is gone', () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const path = lockedBy('dead.lock', owner({ pid: dead }));
    expect(withFileLock(path, () => 'ran', 300)).toBe('ran');
    expect(existsSync(path)).toBe(false);
  });

  it.skipIf(readBootId() === undefined)('takes over a lock whose process id now belongs to another process (another start time, Linux)', () => {
    const path = lockedBy('reused.lock', owner({ pid: process.pid, boot: readBootId(), start: '1' }));
    expect(withFileLock(path, () => 'ran', 300)).toBe('ran');
  });

  it('takes over a file that names no owner (a lock file of an earlier version)', () => {
    const path = lockedBy('legacy.lock', 'SQLite format 3\0');
    expect(withFileLock(path, () => 'ran', 300)).toBe('ran');
  });

  it('waits for a live owner, then refuses naming it, and leaves its lock alone', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      await new Promise((r) => child.once('spawn', r));
      const path = lockedBy('live.lock', owner({ pid: child.pid }));
      const error = refused(path);
      expect(error.code).toBe('LOCK_TIMEOUT');
      expect(error.message).toBe(`Another process (process ${child.pid}) held the audit log lock ${path} for more than 300 ms; if no migseal process is running there, remove the file.`);
      expect(readFileSync(path, 'utf8')).toBe(owner({ pid: child.pid }));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('cannot tell whether an owner on another host is alive: waits, then names the host', () => {
    const path = lockedBy('remote.lock', owner({ host: 'build-7.example', pid: 1 }));
    const error = refused(path);
    expect(error.code).toBe('LOCK_TIMEOUT');
    expect(error.message).toMatch(/\(process 1 on build-7\.example\)/);
  });
});

function readBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}
