/**
 * How one migration runs. `transaction`: the runner wraps the script and its history row in
 * one transaction. `outside`: the script runs on its own, as its tool would send it: when
 * the manifest says it cannot run in a transaction, or when the script opens or ends
 * transactions itself (an inner COMMIT would end the runner's transaction early), as the
 * database's own parser reads it (src/lint/transaction-mode.ts decides, for lint and runner
 * alike). Outside runs are bracketed by a dirty mark, so a failure or a crash half-way
 * blocks the next run. Whatever the parser says, the runner asks the server after each
 * script whether its transaction is still open (./script-step.ts).
 */
import type { DriverDialect } from '../db/driver.js';
import type { ManifestMigration } from '../format/manifest.js';
// The words without which no statement can open or end a transaction: without one, no parser is even loaded.
import { MAY_CONTROL } from '../lint/transaction-control.js';

export type ExecutionMode = 'transaction' | 'outside';

export async function executionMode(migration: ManifestMigration, sql: string, dialect: DriverDialect): Promise<ExecutionMode> {
  if (!migration.transactional) return 'outside';
  if (!MAY_CONTROL.test(sql)) return 'transaction';
  // On SQLite, SQLite's parser alone: a SQLite run never loads PostgreSQL's (WebAssembly) parser.
  if (dialect === 'sqlite') {
    const { sqliteControlsOwnTransaction } = await import('../lint/sqlite/transaction-control.js');
    return sqliteControlsOwnTransaction(sql) ? 'outside' : 'transaction';
  }
  const { controlsOwnTransaction } = await import('../lint/transaction-mode.js');
  return controlsOwnTransaction(sql, dialect) ? 'outside' : 'transaction';
}
