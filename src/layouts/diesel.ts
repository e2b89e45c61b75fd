/**
 * Diesel: `migrations/<version>_<name>/{up.sql, down.sql, metadata.toml}`. The version is the
 * folder name before its first `_`, dashes removed, so `2015-12-19-180527_users`,
 * `20151219180527_users` and `2015-12-19-180527-0000_users` can sit side by side; Diesel
 * orders migrations by that version string. `metadata.toml` may say
 * `run_in_transaction = false`. Diesel reads only folders: files beside them (a README, a data
 * file) are not migrations; they are carried in the bundle but never run.
 */
import type { ManifestMigration } from '../format/manifest.js';
import type { FolderListing, Layout, LayoutResult } from './layout.js';
import { isIgnorable, layoutError } from './errors.js';
import { readTomlKeys, TomlKeysError } from './toml-keys.js';

const LAYOUT = 'diesel';
const FOLDER = /^([0-9][0-9-]*)(?:_([^/]*))?$/;
const KNOWN = ['up.sql', 'down.sql', 'metadata.toml'];

interface Entry {
  folder: string;
  version: string;
  name: string;
  up?: string;
  down?: string;
  metadata?: string;
}

export const diesel: Layout = {
  name: LAYOUT,
  detect: (listing) => listing.paths.some((p) => /^[0-9][0-9-]*(_[^/]*)?\/up\.sql$/.test(p)),
  read(listing: FolderListing): LayoutResult {
    const entries = new Map<string, Entry>();
    const carried: string[] = [];
    const byVersion = new Map<string, string>();
    for (const path of listing.paths) {
      const slash = path.indexOf('/');
      if (slash < 0) {
        // Diesel reads only migration folders; a data file beside them travels with the bundle.
        if (!isIgnorable(path)) carried.push(path);
        continue;
      }
      const folder = path.slice(0, slash);
      const file = path.slice(slash + 1);
      if (isIgnorable(path) && !KNOWN.includes(file)) continue;
      const m = FOLDER.exec(folder);
      if (!m) throw layoutError(LAYOUT, path, 'not in a migration folder; Diesel folders are named <version>_<name>, the version made of digits and dashes');
      if (!KNOWN.includes(file)) throw layoutError(LAYOUT, path, 'unknown file in a migration folder; Diesel reads only up.sql, down.sql and metadata.toml');
      let entry = entries.get(folder);
      if (!entry) {
        const version = m[1]!.replace(/-/g, '');
        const other = byVersion.get(version);
        if (other) throw layoutError(LAYOUT, `${folder}/`, `duplicate version ${version} (also ${other}/)`);
        byVersion.set(version, folder);
        entry = { folder, version, name: m[2] || folder };
        entries.set(folder, entry);
      }
      if (file === 'up.sql') entry.up = path;
      else if (file === 'down.sql') entry.down = path;
      else entry.metadata = path;
    }
    const migrations: ManifestMigration[] = [];
    const files: string[] = [...carried];
    const ordered = [...entries.values()].sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
    for (const e of ordered) {
      if (!e.up) throw layoutError(LAYOUT, `${e.folder}/`, 'a migration folder without up.sql');
      const transactional = e.metadata ? runInTransaction(listing.read(e.metadata), e.metadata) : true;
      migrations.push({ version: e.version, name: e.name, up: e.up, ...(e.down && { down: e.down }), transactional });
      files.push(e.up, ...(e.down ? [e.down] : []), ...(e.metadata ? [e.metadata] : []));
    }
    return { migrations, files };
  },
};

function runInTransaction(bytes: Buffer, path: string): boolean {
  try {
    const value = readTomlKeys(bytes.toString('utf8'), ['run_in_transaction']).get('run_in_transaction');
    if (value === undefined) return true;
    if (typeof value !== 'boolean') throw new TomlKeysError('run_in_transaction must be true or false');
    return value;
  } catch (error) {
    if (error instanceof TomlKeysError) throw layoutError(LAYOUT, path, error.message);
    throw error;
  }
}
