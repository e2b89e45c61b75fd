/**
 * Everything the runner refuses after verification and before a statement runs, one call
 * per check, in the order of the threat list. The first that fails refuses (exit 2).
 */
import type { CheckContext } from './check-context.js';
import { checkTarget } from './check-target.js';
import { checkNotDirty } from './check-dirty.js';
import { checkReleaseNotOlder } from './check-release.js';
import { checkNoDrift } from './check-drift.js';
import { checkNoUnknownApplied } from './check-unknown-applied.js';
import { checkOrder } from './check-order.js';
import { checkRunnable } from './check-runnable.js';

export function checkAgainstHistory(context: CheckContext): void {
  // The bundle is for this database's dialect and project.
  checkTarget(context);
  // No earlier migration was left half-done.
  checkNotDirty(context);
  // Not an older release than the newest applied here (rollback / replay).
  checkReleaseNotOlder(context);
  // Applied migrations have the bytes they were applied with.
  checkNoDrift(context);
  checkNoUnknownApplied(context);
  // Nothing pending sorts before what is applied.
  checkOrder(context);
  // Everything pending can run here.
  checkRunnable(context);
}

export type { CheckContext } from './check-context.js';
