/** Reads a migrations folder into a sorted listing, independent of file system order. */
import { closeSync, openSync, readdirSync, readFileSync, readSync, type Dirent } from 'node:fs';
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
        data = readFile(join(root, path));
        cache.set(path, data);
      }
      return data;
    },
  };
}

/** Files up to this size are read in one read into a shared buffer; larger ones as readFileSync reads them. */
const SMALL_FILE = 64 * 1024;
const scratch = Buffer.allocUnsafeSlow(SMALL_FILE);

/**
 * A file's bytes, as readFileSync gives them, without its fstat for the size: most migrations are
 * a few hundred bytes, and a folder of thousands spent about a fifth of its reading time on it.
 * A read that fills the buffer falls back to readFileSync for the whole file.
 */
function readFile(path: string): Buffer {
  const fd = openSync(path, 'r');
  let size: number;
  try {
    size = readSync(fd, scratch, 0, SMALL_FILE, 0);
  } finally {
    closeSync(fd);
  }
  if (size === SMALL_FILE) return readFileSync(path);
  // Its own memory, as readFileSync's is: never a slice of a pool another file shares.
  const data = Buffer.allocUnsafeSlow(size);
  scratch.copy(data, 0, 0, size);
  return data;
}
