/**
 * The bundle's tar layer: POSIX ustar, plain files only, written deterministically
 * and read strictly. Pure functions on buffers; nothing here touches the file system.
 *
 * The reader (tar-reader.ts, one header block in tar-header.ts) refuses rather than repairs:
 * any header it does not write itself (links, devices, FIFOs, directories, PAX or GNU
 * extensions), any unsafe or ambiguous path, bad checksums, non-zero padding, data after the
 * end-of-archive marker, and truncation. See `TarError.reason` for the closed list of causes.
 */
import { BLOCK, checksum, chunkOf, padding, pathProblem, TarError } from './tar-header.js';
import type { TarEntry } from './tar-reader.js';

export { pathProblem, TarError, type TarErrorReason } from './tar-header.js';
export { readTar, TarReader, type ReadTarOptions, type TarEntry } from './tar-reader.js';

const FILE_MODE = 0o644;

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Builds a tar stream: entries sorted by path bytes, fixed mode/owner/mtime, no extensions.
 * Headers and data are written straight into one buffer of the final size.
 */
export function writeTar(entries: readonly TarEntry[], mtime = 0): Buffer {
  const sorted = sortByPathBytes(entries);
  let total = BLOCK * 2;
  for (const entry of sorted) total += BLOCK + entry.data.length + padding(entry.data.length);
  const out = Buffer.alloc(total);
  const chunk = chunkOf(out);
  let template: Buffer | undefined;
  let at = 0;
  for (const entry of sorted) {
    const problem = pathProblem(entry.path);
    if (problem) throw new TarError('unsafe-entry', `cannot write entry ${JSON.stringify(entry.path)}: ${problem}`, entry.path);
    const [prefix, name] = splitPath(entry.path);
    const size = octalDigits(entry.data.length, 12);
    template ??= headerTemplate(mtime);
    template.copy(out, at);
    out.write(name, at, 100, 'ascii');
    out.write(size, at + 124, 12, 'ascii');
    if (prefix) out.write(prefix, at + 345, 155, 'ascii');
    out.write(octalDigits(checksum(chunk, at), 8), at + 148, 8, 'ascii');
    entry.data.copy(out, at + BLOCK);
    at += BLOCK + entry.data.length + padding(entry.data.length);
  }
  return out;
}

/** The fields every header shares: mode, owner, mtime, type, magic, device numbers, and a blank checksum. */
function headerTemplate(mtime: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  header.write(octalDigits(FILE_MODE, 8), 100, 8, 'ascii');
  header.write(octalDigits(0, 8), 108, 8, 'ascii');
  header.write(octalDigits(0, 8), 116, 8, 'ascii');
  header.write(octalDigits(mtime, 12), 136, 12, 'ascii');
  header.write('        ', 148, 8, 'ascii');
  header.write('0', 156, 1, 'ascii');
  header.write('ustar\u000000', 257, 8, 'ascii');
  header.write(octalDigits(0, 8), 329, 8, 'ascii');
  header.write(octalDigits(0, 8), 337, 8, 'ascii');
  return header;
}

/**
 * Sorted by the UTF-8 bytes of their paths. For ASCII paths (all that a bundle may hold) that
 * is the order of JavaScript strings, compared without encoding each path at every comparison.
 */
function sortByPathBytes(entries: readonly TarEntry[]): TarEntry[] {
  if (entries.every((e) => ASCII.test(e.path))) return [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const keyed = entries.map((entry) => ({ entry, key: Buffer.from(entry.path) }));
  return keyed.sort((a, b) => Buffer.compare(a.key, b.key)).map((k) => k.entry);
}

const ASCII = /^[\x00-\x7f]*$/;

function splitPath(path: string): [string, string] {
  if (path.length <= 100) return ['', path];
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] === '/' && i <= 155 && path.length - i - 1 <= 100) return [path.slice(0, i), path.slice(i + 1)];
  }
  throw new TarError('limit', `path too long for the bundle format: ${path}`, path);
}

/** `value` as zero-padded octal digits and a NUL, `width` bytes in all. */
function octalDigits(value: number, width: number): string {
  const digits = value.toString(8).padStart(width - 1, '0');
  if (digits.length > width - 1) throw new TarError('limit', `number ${value} does not fit a tar header field`);
  return `${digits}\0`;
}
