/**
 * golang-migrate: `N_title.up.sql` / `N_title.down.sql` in the top folder, paired by version
 * number only (the titles may differ; `01_` and `1_` are the same version), applied in integer
 * order. As in golang-migrate (source/iofs/iofs.go, source/parse.go), sub-folders and files that
 * do not match `^([0-9]+)_(.*)\.(down|up)\.(.*)$` are not migrations: they are carried, never run. A version
 * with only a down file is accepted as that tool accepts it: its up is empty (the manifest names no up file).
 */
import type { ManifestMigration } from '../format/manifest.js';
import type { FolderListing, Layout, LayoutResult } from './layout.js';
import { isIgnorable, layoutError } from './errors.js';
import { needsNoTransaction } from '../lint/transaction-mode.js';

const NAME = /^([0-9]+)_(.*)\.(down|up)\.(.*)$/;
const LAYOUT = 'golang-migrate';
/** Another tool's integrity file kept beside the migrations: carried, never run. */
const FOREIGN = new Set(['atlas.sum']);
const MAX_VERSION = 2n ** 63n - 1n;

export const golangMigrate: Layout = {
  name: LAYOUT,
  detect: (listing) => listing.paths.some((p) => NAME.test(p)),
  read(listing: FolderListing): LayoutResult {
    const byVersion = new Map<bigint, { version: string; up?: string; down?: string; name?: string }>();
    const carried: string[] = [];
    for (const path of listing.paths) {
      if (isIgnorable(path)) continue;
      const m = NAME.exec(path);
      if (FOREIGN.has(path) || path.includes('/') || !m) {
        carried.push(path);
        continue;
      }
      const [, digits, title, direction] = m as unknown as [string, string, string, 'up' | 'down'];
      const key = BigInt(digits);
      if (key > MAX_VERSION) throw layoutError(LAYOUT, path, `version ${digits} does not fit golang-migrate's schema_migrations.version (a bigint)`);
      const entry = byVersion.get(key) ?? { version: key.toString() };
      if (entry[direction]) throw layoutError(LAYOUT, path, `duplicate ${direction} migration for version ${key} (also ${entry[direction]})`);
      entry[direction] = path;
      if (direction === 'up' || entry.name === undefined) entry.name = title;
      byVersion.set(key, entry);
    }
    const migrations: ManifestMigration[] = [];
    const files: string[] = [...carried];
    for (const [, e] of [...byVersion].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      // A version with only a down file is a migration whose up is empty (migrate.go, newMigration): golang-migrate
      // records the version when it passes it and runs the down file on the way back. Then the down decides the mode.
      const sql = listing.read((e.up ?? e.down)!).toString('utf8');
      migrations.push({ version: e.version, name: e.name!, ...(e.up && { up: e.up }), ...(e.down && { down: e.down }), transactional: !needsNoTransaction(sql) });
      files.push(...(e.up ? [e.up] : []), ...(e.down ? [e.down] : []));
    }
    return { migrations, files };
  },
};
