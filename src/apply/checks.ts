/**
 * Everything the runner refuses after verification and before a statement runs, one check
 * per line, in the order of the threat list (the ids are rows of docs/threats.md). Each
 * command runs its own named list; the first check that fails refuses (exit 2).
 */
import type { CheckContext } from './check-context.js';
import { checkTarget } from './check-target.js';
import { checkNotDirty } from './check-dirty.js';
import { checkReleaseNotOlder } from './check-release.js';
import { checkNoDrift } from './check-drift.js';
import { checkNoUnknownApplied } from './check-unknown-applied.js';
import { checkOrder } from './check-order.js';
import { checkRunnable } from './check-runnable.js';
import { checkLiveSchema } from './check-live-schema.js';

export type HistoryCheck = (context: CheckContext) => void;

/** Before apply (and plan, which reports what apply would refuse). */
export const CHECKS_BEFORE_APPLY: readonly HistoryCheck[] = Object.freeze([
  // T1.11-T1.12: the bundle is for this database's dialect and project.
  checkTarget,
  // T4.14: the live schema is the one migseal recorded after its last run (or the policy says warn).
  checkLiveSchema,
  // T4.4: no earlier migration was left half-done.
  checkNotDirty,
  // T1.9: not an older release than the newest applied here (rollback / replay).
  checkReleaseNotOlder,
  // T1.10: applied migrations have the bytes they were applied with.
  checkNoDrift,
  // T4.5: and none is missing from the bundle.
  checkNoUnknownApplied,
  // T4.6: nothing pending sorts before what is applied.
  checkOrder,
  // T4.7: everything pending can run here.
  checkRunnable,
]);

/**
 * Before rollback: the same bundle and database checks, without those about pending
 * migrations (rollback runs none of them; it runs down scripts of applied ones).
 */
export const CHECKS_BEFORE_ROLLBACK: readonly HistoryCheck[] = Object.freeze([checkTarget, checkNotDirty, checkReleaseNotOlder, checkNoDrift, checkNoUnknownApplied]);

export function runChecks(checks: readonly HistoryCheck[], context: CheckContext): void {
  for (const check of checks) check(context);
}

export function checkAgainstHistory(context: CheckContext): void {
  runChecks(CHECKS_BEFORE_APPLY, context);
}

export type { CheckContext } from './check-context.js';
