/**
 * Prisma Migrate: `prisma/migrations/<folder>/migration.sql`, with no down scripts. As in Prisma
 * (packages/migrate listMigrations), every folder is a migration named by its whole folder name,
 * so `20260228000000_add_values` and `20260228000000_draft_enum` are two migrations; folders are
 * applied in the order of String.prototype.localeCompare on their names; files beside the
 * folders and files in a folder other than migration.sql are not read by Prisma (they are
 * carried, never run); a folder without migration.sql fails Prisma's read. `migration_lock.toml`
 * names the provider, which becomes the bundle's dialect. Prisma sends each migration.sql as one
 * script, so a file that PostgreSQL cannot run in a transaction is marked non-transactional.
 */
import type { Dialect, ManifestMigration } from '../format/manifest.js';
import type { FolderListing, Layout, LayoutResult } from './layout.js';
import { isIgnorable, layoutError } from './errors.js';
import { readTomlKeys, TomlKeysError } from './toml-keys.js';
import { needsNoTransaction } from '../lint/transaction-mode.js';

const LAYOUT = 'prisma';
const LOCK = 'migration_lock.toml';
const SCRIPT = 'migration.sql';
const MIGRATION = /^([0-9]+_[A-Za-z0-9_-]*)\/migration\.sql$/;
/** The characters a migseal version may hold; Prisma itself writes <timestamp>_<name> with [A-Za-z0-9_]. */
const FOLDER = /^[A-Za-z0-9._-]{1,255}$/;
const PROVIDERS: Record<string, Dialect> = { postgresql: 'postgres', postgres: 'postgres', mysql: 'mysql', sqlite: 'sqlite' };
/** Prisma sorts with localeCompare in the default locale; migseal fixes it so every packer orders alike. */
const PRISMA_ORDER = new Intl.Collator('en-US');

export const prisma: Layout = {
  name: LAYOUT,
  detect: (listing) => listing.paths.includes(LOCK) || listing.paths.some((p) => MIGRATION.test(p)),
  read(listing: FolderListing): LayoutResult {
    const folders = new Map<string, { up?: string; carried: string[] }>();
    const carried: string[] = [];
    let hasLock = false;
    for (const path of listing.paths) {
      if (path === LOCK) {
        hasLock = true;
        continue;
      }
      const slash = path.indexOf('/');
      if (slash < 0) {
        // Prisma reads only folders (and the lock file) at the top.
        if (!isIgnorable(path)) carried.push(path);
        continue;
      }
      const folder = path.slice(0, slash);
      const entry = folders.get(folder) ?? { carried: [] };
      folders.set(folder, entry);
      if (path === `${folder}/${SCRIPT}`) entry.up = path;
      else if (!isIgnorable(path)) entry.carried.push(path);
    }
    const migrations: ManifestMigration[] = [];
    const files: string[] = hasLock ? [LOCK, ...carried] : carried;
    for (const folder of [...folders.keys()].sort(PRISMA_ORDER.compare)) {
      const f = folders.get(folder)!;
      if (!f.up) throw layoutError(LAYOUT, `${folder}/`, 'a migration folder without migration.sql; Prisma fails to read its migration script');
      if (!FOLDER.test(folder)) throw layoutError(LAYOUT, `${folder}/`, 'a migration folder name must be letters, digits, ".", "_" or "-" (at most 255)');
      const cut = /^[0-9]+_(.+)$/.exec(folder);
      migrations.push({ version: folder, name: cut?.[1] ?? folder, up: f.up, transactional: !needsNoTransaction(listing.read(f.up).toString('utf8')) });
      files.push(f.up, ...f.carried);
    }
    return { migrations, files, ...(hasLock && { dialect: lockDialect(listing.read(LOCK)) }) };
  },
};

function lockDialect(bytes: Buffer): Dialect {
  let provider: unknown;
  try {
    provider = readTomlKeys(bytes.toString('utf8'), ['provider']).get('provider');
  } catch (error) {
    if (error instanceof TomlKeysError) throw layoutError(LAYOUT, LOCK, error.message);
    throw error;
  }
  if (typeof provider !== 'string') throw layoutError(LAYOUT, LOCK, 'the lock file must name a provider, like provider = "postgresql"');
  const dialect = PROVIDERS[provider];
  if (!dialect) throw layoutError(LAYOUT, LOCK, `provider "${provider}" is not one migseal can run (postgresql, mysql or sqlite)`);
  return dialect;
}
