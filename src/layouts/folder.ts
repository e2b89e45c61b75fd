/** Reads a migrations folder into a sorted listing, independent of file system order. */
import { readdirSync, readFileSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { MigsealError } from '../errors.js';
import { cannotRead } from '../read-error.js';
import type { FolderListing } from './layout.js';

export function readFolder(root: string): FolderListing {
  const paths: string[] = [];
  const walk = (relative: string): void => {
    const absolute = relative ? join(root, relative) : root;
    let entries: Dirent[];
    try {
      // Each entry's type comes with its name (Node asks lstat only where the file system leaves it unknown).
      entries = readdirSync(absolute, { withFileTypes: true });
    } catch (error) {
      throw cannotRead('migrations folder', absolute, error, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : undefined);
    }
    for (const stat of entries) {
      const name = stat.name;
      const rel = relative ? `${relative}/${name}` : name;
      if (stat.isDirectory()) {
        if (!name.startsWith('.')) walk(rel);
      } else if (stat.isFile()) paths.push(rel);
      else if (stat.isSymbolicLink()) throw new MigsealError('LAYOUT_INVALID', `${rel}: symbolic links are not packed; copy the file into the folder.`);
    }
  };
  walk('');
  paths.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const cache = new Map<string, Buffer>();
  return {
    paths,
    read(path) {
      let data = cache.get(path);
      if (!data) {
        data = readFileSync(join(root, path));
        cache.set(path, data);
      }
      return data;
    },
  };
}
