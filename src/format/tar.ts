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

/** Builds a tar stream: entries sorted by path, fixed mode/owner/mtime, no extensions. */
export function writeTar(entries: readonly TarEntry[], mtime = 0): Buffer {
  const sorted = [...entries].sort((a, b) => compareBytes(a.path, b.path));
  const parts: Buffer[] = [];
  for (const entry of sorted) {
    const problem = pathProblem(entry.path);
    if (problem) throw new TarError('unsafe-entry', `cannot write entry ${JSON.stringify(entry.path)}: ${problem}`, entry.path);
    parts.push(encodeHeader(entry.path, entry.data.length, mtime), entry.data);
    const pad = padding(entry.data.length);
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function encodeHeader(path: string, size: number, mtime: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  const [prefix, name] = splitPath(path);
  header.write(name, 0, 100, 'ascii');
  writeOctal(header, 100, 8, FILE_MODE);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeOctal(header, 124, 12, size);
  writeOctal(header, 136, 12, mtime);
  header.write('        ', 148, 8, 'ascii');
  header.write('0', 156, 1, 'ascii');
  header.write('ustar\u000000', 257, 8, 'ascii');
  writeOctal(header, 329, 8, 0);
  writeOctal(header, 337, 8, 0);
  header.write(prefix, 345, 155, 'ascii');
  writeOctal(header, 148, 8, checksum(chunkOf(header)));
  return header;
}

function splitPath(path: string): [string, string] {
  if (path.length <= 100) return ['', path];
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] === '/' && i <= 155 && path.length - i - 1 <= 100) return [path.slice(0, i), path.slice(i + 1)];
  }
  throw new TarError('limit', `path too long for the bundle format: ${path}`, path);
}

function writeOctal(buf: Buffer, offset: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, '0');
  if (digits.length > width - 1) throw new TarError('limit', `number ${value} does not fit a tar header field`);
  buf.write(`${digits}\0`, offset, width, 'ascii');
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
