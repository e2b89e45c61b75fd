/**
 * Refuses to pack a migration that cannot work as it will be run: a statement PostgreSQL
 * refuses inside a transaction block, in a migration that runs in one. No directive can
 * allow it, since the database itself would refuse it. (In a down script the finding is
 * recorded for rollback to judge, and does not stop the pack.)
 */
import { MigsealError } from '../errors.js';
import type { ManifestFinding } from '../format/manifest.js';

export function refuseUnrunnable(findings: readonly ManifestFinding[]): void {
  const bad = findings.find((f) => f.rule === 'transaction/cannot-run-in-transaction' && f.direction !== 'down');
  if (!bad) return;
  throw new MigsealError('LAYOUT_INVALID', `${bad.file} line ${bad.line}: "${bad.statement ?? ''}" cannot run inside a transaction, and this migration runs in one; put it in a migration of its own.`, {
    details: { finding: bad },
  });
}
