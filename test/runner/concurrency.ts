/**
 * Eight runners apply the same bundle to one database at once. Exactly one migration run per
 * migration (each inserts its number into `ran`), and every process either exits 0 (it
 * applied the work, or found another runner had done it) or refuses cleanly on the lock.
 */
import { expect } from 'vitest';
import { verifyAuditLog } from '../../src/audit/log.js';
import type { ReleaseWorld } from '../helpers/release-world.js';
import { counterMigrations } from '../helpers/release-world.js';

export const RUNNERS = 8;
export const MIGRATIONS = 40;
export const CONCURRENT_MIGRATIONS = counterMigrations(
  MIGRATIONS,
  (i) => `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) INSERT INTO t${i} (id) SELECT x FROM c;\n`,
);

export async function applyConcurrently(world: ReleaseWorld, bundle: string, url: string, ran: () => Promise<number[]>): Promise<void> {
  const results = await Promise.all(
    Array.from({ length: RUNNERS }, () => world.migseal(['apply', bundle, '--trust', world.policy, '--db', url, '--lock-timeout', '120', '--json'])),
  );
  const applied: string[] = [];
  for (const result of results) {
    const doc = JSON.parse(result.stdout) as { ok: boolean; code?: string; applied?: Array<{ version: string }>; upToDate?: boolean };
    if (result.code === 0) {
      expect(result.stderr).toBe('');
      applied.push(...doc.applied!.map((a) => a.version));
    } else {
      // The only acceptable failure: giving up on the lock after the wait, nothing ran (exit 4).
      expect(result.code, result.stderr).toBe(4);
      expect(doc.code).toBe('LOCK_TIMEOUT');
    }
  }
  expect(results.filter((r) => r.code === 0).length).toBeGreaterThanOrEqual(1);
  expect(applied.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: MIGRATIONS }, (_, i) => String(i + 1)));
  expect((await ran()).sort((a, b) => a - b)).toEqual(Array.from({ length: MIGRATIONS }, (_, i) => i + 1));
  expect(verifyAuditLog(world.auditLog)).toMatchObject({ ok: true });
}
