/**
 * Refuses to pack a migration that cannot work as it will be run: a statement PostgreSQL
 * refuses inside a transaction block, in a migration that runs in one. No directive can
 * allow it, since the database itself would refuse it.
 */
import { MigsealError } from '../errors.js';
import type { ManifestFinding } from '../format/manifest.js';

export function refuseUnrunnable(findings: readonly ManifestFinding[]): void {
  const bad = findings.find((f) => f.rule === 'transaction/cannot-run-in-transaction');
  if (!bad) return;
  throw new MigsealError('LAYOUT_INVALID', `${bad.file} line ${bad.line}: "${bad.statement ?? ''}" cannot run inside a transaction, and this migration runs in one; put it in a migration of its own.`, {
    details: { finding: bad },
  });
}
