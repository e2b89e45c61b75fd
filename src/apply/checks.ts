/**
 * Everything the runner refuses after verification and before a statement runs, one call
 * per check, in the order of the threat list (the ids are rows of docs/threats.md). The first
 * that fails refuses (exit 2).
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
  // T1.11-T1.12: the bundle is for this database's dialect and project.
  checkTarget(context);
  // T4.4: no earlier migration was left half-done.
  checkNotDirty(context);
  // T1.9: not an older release than the newest applied here (rollback / replay).
  checkReleaseNotOlder(context);
  // T1.10: applied migrations have the bytes they were applied with.
  checkNoDrift(context);
  // T4.5: and none is missing from the bundle.
  checkNoUnknownApplied(context);
  // T4.6: nothing pending sorts before what is applied.
  checkOrder(context);
  // T4.7: everything pending can run here.
  checkRunnable(context);
}

export type { CheckContext } from './check-context.js';
