/**
 * The extension point for migration folder layouts: one small module per peer tool.
 * A layout sees the folder's file listing (relative paths, sorted) and a reader, and
 * returns the ordered migrations and the files they use.
 */
import type { Dialect, ManifestMigration } from '../format/manifest.js';

export interface FolderListing {
  /** Relative paths with forward slashes, sorted, regular files only. */
  paths: readonly string[];
  read(path: string): Buffer;
}

export interface LayoutResult {
  migrations: ManifestMigration[];
  /** Every file the bundle must carry, by relative path. */
  files: string[];
  /** A dialect the folder itself declares (e.g. Prisma's migration_lock.toml). */
  dialect?: Dialect;
  /** Files the tool itself would skip, said once at pack time (the bundle carries them, never runs them). */
  notices?: string[];
}

export interface Layout {
  readonly name: string;
  /** True when the listing looks like this tool's folder. */
  detect(listing: FolderListing): boolean;
  read(listing: FolderListing): LayoutResult;
}
