/**
 * dbmate: `db/migrations/<version>_<name>.sql`, each file holding a `-- migrate:up` block and a
 * `-- migrate:down` block. The version is the file name's leading digits; dbmate applies files
 * in file-name order. A block directive may carry `transaction:false`. The manifest marks these
 * migrations `sections: "dbmate"`, so the runner receives only the requested block. As in dbmate
 * (pkg/dbmate/db.go FindMigrations), sub-folders and files that do not match `^(\d+).*\.sql$`
 * are not migrations: they are carried, never run.
 */
import type { ManifestMigration } from '../format/manifest.js';
import { dbmateSections, inTransaction } from '../format/dbmate-sections.js';
import type { FolderListing, Layout, LayoutResult } from './layout.js';
import { isIgnorable, layoutError } from './errors.js';

const LAYOUT = 'dbmate';
const NAME = /^([0-9]+)(.*)\.sql$/;
const UP_MARKER = /^--\s*migrate:up\b/m;
/** Every match of UP_MARKER holds these bytes (latin1 maps each byte to one character), so a file without them is not read as text. */
const UP_WORD = Buffer.from('migrate:up', 'latin1');

/** Whether a file holds dbmate's up marker: the marker's word found in the bytes first, the marker itself only then. */
export function hasUpMarker(bytes: Buffer): boolean {
  return bytes.includes(UP_WORD) && UP_MARKER.test(bytes.toString('latin1'));
}

export const dbmate: Layout = {
  name: LAYOUT,
  detect: (listing) => listing.paths.some((p) => NAME.test(p) && hasUpMarker(listing.read(p))),
  read(listing: FolderListing): LayoutResult {
    const migrations: ManifestMigration[] = [];
    const files: string[] = [];
    const versions = new Map<string, string>();
    const carried: string[] = [];
    // dbmate sorts file names as strings; the listing is already sorted by bytes.
    for (const path of listing.paths) {
      if (isIgnorable(path)) continue;
      const m = NAME.exec(path);
      if (!m || path.includes('/')) {
        carried.push(path);
        continue;
      }
      const [, version, rest] = m as unknown as [string, string, string];
      const other = versions.get(version);
      if (other) throw layoutError(LAYOUT, path, `duplicate version ${version} (also ${other}); dbmate would fail recording the second`);
      versions.set(version, path);
      const sections = dbmateSections(listing.read(path));
      if (typeof sections === 'string') throw layoutError(LAYOUT, path, sections);
      const upTx = inTransaction(sections.up);
      // The manifest keeps one transaction mode per migration: the up block's. A down block
      // under an up block marked transaction:false runs without one too (the safe direction);
      // a down block that drops the transaction its up block keeps is refused.
      if (upTx && !inTransaction(sections.down)) {
        throw layoutError(LAYOUT, path, 'the down block says transaction:false but the up block does not; mark both (migseal keeps one transaction mode per migration)');
      }
      migrations.push({ version, name: rest.replace(/^_/, '') || version, up: path, down: path, transactional: upTx, sections: 'dbmate' });
      files.push(path);
    }
    return { migrations, files: [...carried, ...files] };
  },
};
