/**
 * Checks that `resolve` acts on a migration that needs it: one left dirty by a run that failed
 * or died outside a transaction. Rewriting the record of a migration that ran cleanly (or was
 * rolled back cleanly) would make the next apply run it again, or skip it: that needs --force
 * and a reason, and is recorded as forced.
 */
import { MigsealError } from '../errors.js';
import type { AppliedMigration, History } from './history.js';

export interface Resolution {
  row: AppliedMigration;
  /** The record of a migration that did not need resolving is rewritten on the operator's word. */
  forced: boolean;
  /** What the next apply will do with this migration, in a sentence. */
  next: string;
}

export function checkResolvable(history: History, target: string, version: string, as: 'applied' | 'rolled-back', force: boolean): Resolution {
  const rows = history.migrations.filter((m) => m.version === version);
  const dirty = rows.find((m) => m.state === 'dirty');
  const next = as === 'rolled-back' ? `apply will run migration ${version} again` : `apply will treat migration ${version} as applied and not run it`;
  if (dirty) return { row: dirty, forced: false, next };
  const row = rows[0];
  if (!row) {
    throw new MigsealError(
      'MIGRATION_NOT_RESOLVABLE',
      `${target} has no record of migration ${version}, so there is nothing to resolve: a migration that failed inside a transaction was rolled back with it, and apply runs it again.`,
      { details: { version } },
    );
  }
  if (force) return { row, forced: true, next };
  const effect = as === 'rolled-back' ? `${next}: a data migration would take effect twice` : next;
  throw new MigsealError(
    'MIGRATION_NOT_RESOLVABLE',
    `Migration ${version} (${row.name}) is ${row.state} on ${target}, not dirty: there is nothing to resolve. ` +
      `Recording it as ${as} would mean ${effect}. If that is truly wanted, add --force (the reason is recorded as forced).`,
    { details: { version, state: row.state, as } },
  );
}
