/**
 * Diesel: `migrations/<folder>/{up.sql, down.sql, metadata.toml}`, read as Diesel does
 * (diesel_migrations/migrations_internals/src/lib.rs and src/file_based_migrations.rs):
 * - every non-empty folder not starting with `.` is a migration and must hold up.sql;
 * - the version is the folder name before its first `_`, dashes removed, so
 *   `2015-12-19-180527_users`, `20151219180527_users` and `2015-12-19-180527-0000_users` sit side
 *   by side; migrations run in the string order of their versions;
 * - files beside the folders (a README, a data file) and files in a folder other than the three
 *   Diesel reads are not migrations: they are carried in the bundle but never run;
 * - `metadata.toml` is deserialized into `{ run_in_transaction: bool }` with serde's default
 *   for a missing key, so a metadata.toml without the key means no transaction, and keys
 *   Diesel does not know are ignored;
 * - an empty up.sql is refused at run time (EmptyMigration), so pack refuses it.
 */
import type { ManifestMigration } from '../format/manifest.js';
import type { FolderListing, Layout, LayoutResult } from './layout.js';
import { isIgnorable, layoutError } from './errors.js';
import { readTomlKeys, TomlKeysError } from './toml-keys.js';

const LAYOUT = 'diesel';
/** Diesel's history column is VARCHAR(50). */
const MAX_VERSION = 50;

interface Entry {
  folder: string;
  version: string;
  name: string;
  up?: string;
  down?: string;
  metadata?: string;
  carried: string[];
}

export const diesel: Layout = {
  name: LAYOUT,
  detect: (listing) => listing.paths.some((p) => /^[0-9][0-9-]*(_[^/]*)?\/up\.sql$/.test(p)),
  read(listing: FolderListing): LayoutResult {
    const entries = new Map<string, Entry>();
    const carried: string[] = [];
    for (const path of listing.paths) {
      const slash = path.indexOf('/');
      if (slash < 0) {
        // Diesel reads only migration folders; a data file beside them travels with the bundle.
        if (!isIgnorable(path)) carried.push(path);
        continue;
      }
      const folder = path.slice(0, slash);
      const file = path.slice(slash + 1);
      let entry = entries.get(folder);
      if (!entry) {
        const cut = folder.indexOf('_');
        entry = { folder, version: (cut < 0 ? folder : folder.slice(0, cut)).replace(/-/g, ''), name: cut < 0 ? folder : folder.slice(cut + 1), carried: [] };
        entries.set(folder, entry);
      }
      if (file === 'up.sql') entry.up = path;
      else if (file === 'down.sql') entry.down = path;
      else if (file === 'metadata.toml') entry.metadata = path;
      else if (!isIgnorable(path)) entry.carried.push(path);
    }
    const byVersion = new Map<string, string>();
    for (const e of entries.values()) {
      if (!e.up) throw layoutError(LAYOUT, `${e.folder}/`, 'a migration folder without up.sql; Diesel refuses the folder (unknown migration format)');
      if (!/^[A-Za-z0-9._]{1,50}$/.test(e.version) || e.version.length > MAX_VERSION) {
        throw layoutError(LAYOUT, `${e.folder}/`, `version "${e.version}" (the folder name before its first "_", dashes removed) must be 1 to ${MAX_VERSION} letters or digits`);
      }
      const other = byVersion.get(e.version);
      if (other) throw layoutError(LAYOUT, `${e.folder}/`, `duplicate version ${e.version} (also ${other}/); Diesel would run only one of them`);
      byVersion.set(e.version, e.folder);
      if (listing.read(e.up).length === 0) throw layoutError(LAYOUT, e.up, 'an empty up.sql; Diesel refuses to run an empty migration');
    }
    const migrations: ManifestMigration[] = [];
    const files: string[] = [...carried];
    const ordered = [...entries.values()].sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
    for (const e of ordered) {
      const transactional = e.metadata ? runInTransaction(listing.read(e.metadata), e.metadata) : true;
      migrations.push({ version: e.version, name: e.name, up: e.up!, ...(e.down && { down: e.down }), transactional });
      files.push(e.up!, ...(e.down ? [e.down] : []), ...(e.metadata ? [e.metadata] : []), ...e.carried);
    }
    return { migrations, files };
  },
};

/** Diesel's TomlMetadata: `run_in_transaction` with serde's default (false) when the file lacks it. */
function runInTransaction(bytes: Buffer, path: string): boolean {
  try {
    const value = readTomlKeys(bytes.toString('utf8'), ['run_in_transaction'], { ignoreUnknown: true }).get('run_in_transaction');
    if (value === undefined) return false;
    if (typeof value !== 'boolean') throw new TomlKeysError('run_in_transaction must be true or false');
    return value;
  } catch (error) {
    if (error instanceof TomlKeysError) throw layoutError(LAYOUT, path, error.message);
    throw error;
  }
}
