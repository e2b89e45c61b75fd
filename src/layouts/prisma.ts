/**
 * Prisma Migrate: `prisma/migrations/<timestamp>_<name>/migration.sql`, applied in folder-name
 * order, with no down scripts. `migration_lock.toml` names the provider, which becomes the
 * bundle's dialect. Prisma sends each migration.sql as one script, so a file that PostgreSQL
 * cannot run in a transaction is marked non-transactional. The lock file is carried in the
 * bundle so the folder stays a valid Prisma folder.
 */
import type { Dialect, ManifestMigration } from '../format/manifest.js';
import type { FolderListing, Layout, LayoutResult } from './layout.js';
import { isIgnorable, layoutError } from './errors.js';
import { readTomlKeys, TomlKeysError } from './toml-keys.js';
import { needsNoTransaction } from './transaction-mode.js';

const LAYOUT = 'prisma';
const LOCK = 'migration_lock.toml';
const MIGRATION = /^(([0-9]+)_([A-Za-z0-9_-]*))\/migration\.sql$/;
const PROVIDERS: Record<string, Dialect> = { postgresql: 'postgres', postgres: 'postgres', mysql: 'mysql', sqlite: 'sqlite' };

export const prisma: Layout = {
  name: LAYOUT,
  detect: (listing) => listing.paths.includes(LOCK) || listing.paths.some((p) => MIGRATION.test(p)),
  read(listing: FolderListing): LayoutResult {
    const folders = new Map<string, { version: string; name: string; up: string }>();
    const seen = new Set<string>();
    let hasLock = false;
    for (const path of listing.paths) {
      if (path === LOCK) {
        hasLock = true;
        continue;
      }
      if (isIgnorable(path)) continue;
      const m = MIGRATION.exec(path);
      if (!m) {
        const rule = path.includes('/')
          ? 'unknown file in a migration folder; Prisma reads only migration.sql'
          : 'not part of a Prisma migrations folder; expected <timestamp>_<name>/migration.sql and migration_lock.toml';
        throw layoutError(LAYOUT, path, rule);
      }
      const [, folder, version, name] = m as unknown as [string, string, string, string];
      if (seen.has(version)) throw layoutError(LAYOUT, path, `duplicate version ${version} (two migration folders share the timestamp)`);
      seen.add(version);
      folders.set(folder, { version, name: name || folder, up: path });
    }
    for (const path of listing.paths) {
      const folder = path.split('/')[0]!;
      if (path.includes('/') && !isIgnorable(path) && !folders.has(folder)) throw layoutError(LAYOUT, `${folder}/`, 'a migration folder without migration.sql');
    }
    const migrations: ManifestMigration[] = [];
    const files: string[] = hasLock ? [LOCK] : [];
    // Prisma applies migrations in the order of their folder names.
    for (const folder of [...folders.keys()].sort()) {
      const f = folders.get(folder)!;
      migrations.push({ version: f.version, name: f.name, up: f.up, transactional: !needsNoTransaction(listing.read(f.up).toString('utf8')) });
      files.push(f.up);
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
