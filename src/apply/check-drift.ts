/** Checks that every migration already applied ran with the same bytes this bundle holds. */
import { MigsealError } from '../errors.js';
import type { CheckContext } from './check-context.js';

export function checkNoDrift({ plan, target }: CheckContext): void {
  const first = plan.drift[0];
  if (!first) return;
  const { planned, row } = first;
  throw new MigsealError(
    'MIGRATION_DRIFT',
    `Migration ${planned.migration.version} (${planned.migration.name}) was applied to ${target} with checksum ${row.checksum.slice(0, 16)}…, but this bundle holds ${planned.checksum.slice(0, 16)}…; an applied migration must never change.`,
    { details: { drift: plan.drift.map((d) => ({ version: d.planned.migration.version, applied: d.row.checksum, bundle: d.planned.checksum })) } },
  );
}
