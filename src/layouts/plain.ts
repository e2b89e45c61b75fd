/**
 * Plain SQL: `.sql` files in one folder, each an up migration, ordered by their leading
 * number (when they have one) and then by name. `X.down.sql` is the down script of `X.sql`.
 */
import type { ManifestMigration } from '../format/manifest.js';
import type { FolderListing, Layout, LayoutResult } from './layout.js';
import { isIgnorable, layoutError } from './errors.js';
import { needsNoTransaction } from '../lint/transaction-mode.js';

const LAYOUT = 'plain';

export const plain: Layout = {
  name: LAYOUT,
  detect: (listing) => listing.paths.some((p) => p.endsWith('.sql') && !p.includes('/')),
  read(listing: FolderListing): LayoutResult {
    const ups: string[] = [];
    const downs = new Set<string>();
    for (const path of listing.paths) {
      if (isIgnorable(path)) continue;
      if (path.includes('/') || !path.endsWith('.sql')) throw layoutError(LAYOUT, path, 'not a migration file; expected .sql files in the top folder');
      (path.endsWith('.down.sql') ? downs : { add: (p: string) => ups.push(p) }).add(path);
    }
    ups.sort(comparePlain);
    const migrations: ManifestMigration[] = [];
    const files: string[] = [];
    const versions = new Set<string>();
    for (const up of ups) {
      const version = up.slice(0, -'.sql'.length);
      if (versions.has(version)) throw layoutError(LAYOUT, up, 'duplicate version');
      versions.add(version);
      const down = `${version}.down.sql`;
      const hasDown = downs.delete(down);
      migrations.push({ version, name: version.replace(/^[0-9]+[_-]?/, '') || version, up, ...(hasDown && { down }), transactional: !needsNoTransaction(listing.read(up).toString('utf8')) });
      files.push(up, ...(hasDown ? [down] : []));
    }
    const orphan = [...downs][0];
    if (orphan) throw layoutError(LAYOUT, orphan, 'a down script without a matching up migration');
    return { migrations, files };
  },
};

function comparePlain(a: string, b: string): number {
  const na = /^[0-9]+/.exec(a)?.[0];
  const nb = /^[0-9]+/.exec(b)?.[0];
  if (na !== undefined && nb !== undefined && na !== nb) {
    const d = BigInt(na) - BigInt(nb);
    if (d !== 0n) return d < 0n ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
