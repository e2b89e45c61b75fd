/** Checks that the bundle knows every migration applied to the database (unless the operator says otherwise). */
import { MigsealError } from '../errors.js';
import type { CheckContext } from './check-context.js';

export function checkNoUnknownApplied({ plan, target, allowUnknownApplied }: CheckContext): void {
  const first = plan.unknownApplied[0];
  if (!first || allowUnknownApplied) return;
  const versions = plan.unknownApplied.map((m) => m.version);
  throw new MigsealError(
    'MIGRATION_UNKNOWN_APPLIED',
    `${target} has ${versions.length} applied migration(s) that this bundle does not contain (${versions.slice(0, 5).join(', ')}${versions.length > 5 ? ', …' : ''}); pass --allow-unknown-applied if that is expected.`,
    { details: { versions } },
  );
}
