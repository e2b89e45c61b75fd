/** Checks that no migration failed half-way outside a transaction: such a database waits for `migseal resolve`. */
import { MigsealError } from '../errors.js';
import { customPeerTable } from '../peer-history/index.js';
import type { CheckContext } from './check-context.js';

export function checkNotDirty({ plan, target, manifest }: CheckContext): void {
  const dirty = plan.dirty[0];
  if (!dirty) return;
  // A custom-named peer table is settled only by a resolve given the bundle (as the failure that left it dirty said).
  const peerTable = customPeerTable(manifest.peerHistory);
  const bundle = peerTable ? ` --bundle BUNDLE --trust FILE (the bundle that ran it, so that ${peerTable} is settled too)` : '';
  throw new MigsealError(
    'DATABASE_DIRTY',
    `${target} is dirty: migration ${dirty.version} (${dirty.name}) did not finish outside a transaction. Inspect the schema, then run migseal resolve --version ${dirty.version} --as applied|rolled-back --reason "..."${bundle}.`,
    { details: { version: dirty.version, note: dirty.note } },
  );
}
