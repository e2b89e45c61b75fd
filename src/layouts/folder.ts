/** Reads a migrations folder into a sorted listing, independent of file system order. */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MigsealError } from '../errors.js';
import { cannotRead } from '../read-error.js';
import type { FolderListing } from './layout.js';

export function readFolder(root: string): FolderListing {
  const paths: string[] = [];
  const walk = (relative: string): void => {
    const absolute = relative ? join(root, relative) : root;
    let names: string[];
    try {
      names = readdirSync(absolute);
    } catch (error) {
      throw cannotRead('migrations folder', absolute, error, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : undefined);
    }
    for (const name of names) {
      const rel = relative ? `${relative}/${name}` : name;
      const stat = lstatSync(join(root, rel));
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
