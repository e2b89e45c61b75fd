/**
 * How one migration runs. `transaction`: the runner wraps the script and its history row in
 * one transaction. `outside`: the script runs on its own, as its tool would send it: when
 * the manifest says it cannot run in a transaction, or when the script ends or opens
 * transactions itself (an inner COMMIT would end the runner's transaction early). Outside
 * runs are bracketed by a dirty mark, so a failure or a crash half-way blocks the next run.
 */
import type { ManifestMigration } from '../format/manifest.js';

export type ExecutionMode = 'transaction' | 'outside';

const TRANSACTION_CONTROL = /(?:^|;)\s*(?:begin\s*(?:;|$|transaction\b|work\b|isolation\b|deferred\b|immediate\b|exclusive\b)|start\s+transaction\b|commit\s*(?:;|$|transaction\b|work\b|and\b)|rollback\s*(?:;|$|transaction\b|work\b|and\b))/i;

const MAY_CONTROL = /begin|start|commit|rollback/i;

export function executionMode(migration: ManifestMigration, sql: string): ExecutionMode {
  if (!migration.transactional) return 'outside';
  return controlsOwnTransaction(sql) ? 'outside' : 'transaction';
}

/** Whether the script has top-level BEGIN / START TRANSACTION / COMMIT / ROLLBACK statements. */
export function controlsOwnTransaction(sql: string): boolean {
  // Stripping strings and comments only removes text: without these words anywhere, there is nothing to find.
  if (!MAY_CONTROL.test(sql)) return false;
  const code = sql
    .replace(/\$([A-Za-z_][A-Za-z0-9_]*)?\$[\s\S]*?\$\1\$/g, "''")
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""')
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ');
  return TRANSACTION_CONTROL.test(code);
}
