/**
 * The holder record beside a SQLite runner lock (src/db/sqlite-lock-holder.ts): written whole
 * and private, and believed only for a process that still runs here, the same one.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeHolder, holderRecordPath, readHolder, removeHolderRecord, writeHolderRecord } from '../../src/db/sqlite-lock-holder.js';
import { removeDir, tempDir } from '../helpers/fixtures.js';

const dir = tempDir('migseal-lock-holder-');
afterAll(() => removeDir(dir));
let n = 0;
const fresh = (): string => holderRecordPath(join(dir, `db-${n++}.sqlite-migseal-lock`));

describe('the SQLite runner lock holder record', () => {
  it('is written whole, mode 0600, read back as this running process, and removed', () => {
    const path = fresh();
    expect(writeHolderRecord(path, 'migseal apply shop 1.4.0', new Date('2026-01-02T03:04:05.000Z'))).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // No temporary file is left beside it.
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    const holder = readHolder(path);
    expect(holder).toMatchObject({ state: 'running', record: { pid: process.pid, host: hostname(), command: 'migseal apply shop 1.4.0', lockedAt: '2026-01-02T03:04:05.000Z' } });
    expect(describeHolder(holder, Date.parse('2026-01-02T03:04:47.000Z'))).toMatch(
      new RegExp(`^: pid ${process.pid} on this host \\(user \\S+, "migseal apply shop 1\\.4\\.0", took the lock at 2026-01-02T03:04:05\\.000Z, 42 s ago\\), still running$`),
    );
    removeHolderRecord(path);
    expect(readHolder(path)).toEqual({ state: 'unrecorded' });
  });

  it('a record whose process is gone, or whose pid is another process now, is stale', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const path = fresh();
    writeHolderRecord(path, 'migseal apply shop 1');
    const mine = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...mine, pid: Number(gone.stdout) }));
    expect(readHolder(path).state).toBe('stale');
    expect(describeHolder(readHolder(path))).toContain(`; its holder record names pid ${gone.stdout} (`);
    // This process's pid, but a process started at another moment: the pid was taken again.
    if (mine.processStart !== undefined) {
      writeFileSync(path, JSON.stringify({ ...mine, processStart: String(Number(mine.processStart) + 1) }));
      expect(readHolder(path).state).toBe('stale');
      writeFileSync(path, JSON.stringify({ ...mine, bootId: 'another-boot' }));
      expect(readHolder(path).state).toBe('stale');
    }
  });

  it('a record from another host is not checked here; a record migseal did not write is not believed', () => {
    const path = fresh();
    writeHolderRecord(path, 'migseal apply shop 1');
    const mine = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...mine, host: 'db-runner-2' }));
    expect(readHolder(path).state).toBe('elsewhere');
    expect(describeHolder(readHolder(path))).toMatch(/^: pid \d+ on host db-runner-2 \(.*\); whether it still runs cannot be checked from this host$/);
    for (const bad of ['', 'not json', '[]', JSON.stringify({ ...mine, format: 'other' }), JSON.stringify({ ...mine, pid: -1 }), JSON.stringify({ ...mine, command: 'migseal\u001b[2J' }), JSON.stringify({ ...mine, user: 'x'.repeat(300) }), 'x'.repeat(5000)]) {
      writeFileSync(path, bad);
      expect(readHolder(path).state, bad.slice(0, 40)).toBe('unreadable');
    }
    expect(describeHolder(readHolder(path))).toBe('; its holder record cannot be read (it is larger than a holder record)');
  });
});
