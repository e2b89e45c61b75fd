/**
 * The SQL to run for one migration in one direction, cut from the verified bytes held in
 * memory. Most layouts keep a file per direction; layouts that keep both directions in one
 * file (dbmate) are cut here, so the runner never needs to know a layout.
 */
import { MigsealError } from '../errors.js';
import type { ManifestMigration } from './manifest.js';

export type Direction = 'up' | 'down';

export function migrationScript(migration: ManifestMigration, direction: Direction, files: ReadonlyMap<string, Buffer>): Buffer {
  const path = direction === 'up' ? migration.up : migration.down;
  if (path === undefined) {
    throw new MigsealError('DOWN_SCRIPT_MISSING', `Migration ${migration.version} (${migration.name}) has no down script.`);
  }
  const data = files.get(path);
  if (data === undefined) throw new MigsealError('FILE_SET_MISMATCH', `The verified bundle has no file ${path}.`);
  return data;
}
