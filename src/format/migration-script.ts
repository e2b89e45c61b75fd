/**
 * The SQL to run for one migration in one direction, cut from the verified bytes held in
 * memory. Most layouts keep a file per direction; layouts that keep both directions in one
 * file (dbmate) are cut here, so the runner never needs to know a layout. Migrations that only
 * their own tool can run (Doctrine's PHP classes) yield no SQL at all: they go through `exec`.
 */
import { MigsealError } from '../errors.js';
import type { ManifestMigration } from './manifest.js';
import { dbmateSections } from './dbmate-sections.js';

export type Direction = 'up' | 'down';

export function migrationScript(migration: ManifestMigration, direction: Direction, files: ReadonlyMap<string, Buffer>): Buffer {
  if (migration.runner === 'native') {
    throw new MigsealError(
      'NATIVE_RUNNER_REQUIRED',
      `Migration ${migration.version} (${migration.name}) can only be run by its own tool; hand the verified files to it with migseal exec.`,
    );
  }
  // golang-migrate runs a version that has only a down file as an empty up (migrate.go, newMigration).
  if (direction === 'up' && migration.up === undefined) return Buffer.alloc(0);
  const path = direction === 'up' ? migration.up : migration.down;
  if (path === undefined) {
    throw new MigsealError('DOWN_SCRIPT_MISSING', `Migration ${migration.version} (${migration.name}) has no down script.`);
  }
  const data = files.get(path);
  if (data === undefined) throw new MigsealError('FILE_SET_MISMATCH', `The verified bundle has no file ${path}.`);
  if (migration.sections === 'dbmate') return cutDbmate(data, direction, path);
  return data;
}

function cutDbmate(data: Buffer, direction: Direction, path: string): Buffer {
  const sections = dbmateSections(data);
  if (typeof sections === 'string') throw new MigsealError('MANIFEST_INVALID', `${path} has no usable dbmate sections: ${sections}.`);
  const { start, end } = sections[direction];
  return data.subarray(start, end);
}
