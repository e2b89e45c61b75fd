/**
 * An audit record appended without its own fsync (src/audit/log.ts, sync: false): on disk at
 * once, durable with the next append that syncs, and whenSynced says when, at the latest
 * after its bound, by syncing then.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendAuditRecord, syncAuditLog, verifyAuditLog, whenSynced } from '../../src/audit/log.js';
import { removeDir, tempDir } from '../helpers/fixtures.js';

const dir = tempDir('migseal-audit-sync-');
afterAll(() => removeDir(dir));
let n = 0;
const settled = async (p: Promise<void>): Promise<boolean> => Promise.race([p.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 50))]);

describe('audit records appended without their own fsync', () => {
  it('are written at once, and durable with the next append that syncs: only then does whenSynced resolve', async () => {
    const log = join(dir, `log-${n++}.jsonl`);
    appendAuditRecord(log, { event: 'apply', outcome: 'started' });
    // Nothing waits: everything appended is synced.
    expect(await settled(whenSynced(log, 60_000))).toBe(true);
    appendAuditRecord(log, { event: 'apply', outcome: 'applied' }, { sync: false });
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(2);
    const durable = whenSynced(log, 60_000);
    expect(await settled(durable)).toBe(false);
    // Another unsynced append does not make it durable either.
    appendAuditRecord(log, { event: 'apply', outcome: 'up-to-date' }, { sync: false });
    expect(await settled(durable)).toBe(false);
    appendAuditRecord(log, { event: 'apply', outcome: 'started' });
    expect(await settled(durable)).toBe(true);
    expect(verifyAuditLog(log)).toMatchObject({ ok: true, records: 4 });
  });

  it('syncAuditLog, or the bound passing, makes them durable; the first record of a log is always synced', async () => {
    const log = join(dir, `log-${n++}.jsonl`);
    appendAuditRecord(log, { event: 'apply', outcome: 'applied' }, { sync: false });
    expect(await settled(whenSynced(log, 60_000))).toBe(true);
    appendAuditRecord(log, { event: 'apply', outcome: 'applied' }, { sync: false });
    const byHand = whenSynced(log, 60_000);
    syncAuditLog(log);
    expect(await settled(byHand)).toBe(true);
    appendAuditRecord(log, { event: 'apply', outcome: 'applied' }, { sync: false });
    const started = Date.now();
    await whenSynced(log, 200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(await settled(whenSynced(log, 60_000))).toBe(true);
  });
});
