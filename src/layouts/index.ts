/** The known layouts, in detection order: the most specific first, plain SQL last. */
import { MigsealError } from '../errors.js';
import type { FolderListing, Layout } from './layout.js';
import { prisma } from './prisma.js';
import { diesel } from './diesel.js';
import { dbmate } from './dbmate.js';
import { flyway } from './flyway.js';
import { atlas } from './atlas.js';
import { doctrine } from './doctrine.js';
import { golangMigrate } from './golang-migrate.js';
import { plain } from './plain.js';

export const LAYOUTS: readonly Layout[] = [prisma, diesel, dbmate, flyway, atlas, doctrine, golangMigrate, plain];

export function layoutNames(): string[] {
  return ['auto', ...LAYOUTS.map((l) => l.name)];
}

export function chooseLayout(name: string, listing: FolderListing): Layout {
  if (name !== 'auto') {
    const layout = LAYOUTS.find((l) => l.name === name);
    if (!layout) throw new MigsealError('USAGE', `Unknown layout "${name}"; choose one of ${layoutNames().join(', ')}.`);
    return layout;
  }
  const layout = LAYOUTS.find((l) => l.detect(listing));
  if (!layout) throw new MigsealError('LAYOUT_INVALID', 'The folder does not look like any known migrations layout; pass --layout to choose one.');
  return layout;
}
