/** Checks that no migration failed half-way outside a transaction: such a database waits for `migseal resolve`. */
import { MigsealError } from '../errors.js';
import type { CheckContext } from './check-context.js';

export function checkNotDirty({ plan, target }: CheckContext): void {
  const dirty = plan.dirty[0];
  if (!dirty) return;
  throw new MigsealError(
    'DATABASE_DIRTY',
    `${target} is dirty: migration ${dirty.version} (${dirty.name}) did not finish outside a transaction. Inspect the schema, then run migseal resolve --version ${dirty.version} --as applied|rolled-back --reason "...".`,
    { details: { version: dirty.version, note: dirty.note } },
  );
}
