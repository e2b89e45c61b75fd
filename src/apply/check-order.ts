/** Checks that no pending migration is ordered before one already applied. */
import { MigsealError } from '../errors.js';
import type { CheckContext } from './check-context.js';

export function checkOrder({ plan, target }: CheckContext): void {
  const first = plan.outOfOrder[0];
  if (!first) return;
  throw new MigsealError(
    'MIGRATION_OUT_OF_ORDER',
    `Migration ${first.planned.migration.version} (${first.planned.migration.name}) is pending, but ${target} already has the later migration ${first.newestApplied.migration.version}.`,
    { details: { pending: plan.outOfOrder.map((o) => o.planned.migration.version) } },
  );
}
