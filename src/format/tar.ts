/**
 * The bundle's tar layer: POSIX ustar, plain files only, written deterministically
 * and read strictly. Pure functions on buffers; nothing here touches the file system.
 *
 * The reader refuses rather than repairs: any header it does not write itself
 * (links, devices, FIFOs, directories, PAX or GNU extensions), any unsafe or ambiguous
 * path, bad checksums, non-zero padding, data after the end-of-archive marker, and
 * truncation. See `TarError.reason` for the closed list of causes.
 */
import { LIMITS } from '../limits.js';

const BLOCK = 512;
const FILE_MODE = 0o644;

export interface TarEntry {
  readonly path: string;
  readonly data: Buffer;
  /** Seconds since the epoch, as read; ignored when writing (the archive's one mtime is used). */
  readonly mtime?: number;
}

export type TarErrorReason = 'malformed' | 'limit' | 'unsafe-entry' | 'duplicate-entry';

export class TarError extends Error {
  readonly reason: TarErrorReason;
  readonly entry: string | undefined;
  constructor(reason: TarErrorReason, message: string, entry?: string) {
    super(message);
    this.name = 'TarError';
    this.reason = reason;
    this.entry = entry;
  }
}

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
  writeOctal(header, 148, 8, checksum(header));
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

// ---------------------------------------------------------------------------------------------
// Reading

export interface ReadTarOptions {
  maxEntries?: number;
  maxEntryBytes?: number;
}

/** Parses a tar stream held in memory. Entry data are views into `archive`, not copies. */
export function readTar(archive: Buffer, options: ReadTarOptions = {}): TarEntry[] {
  const maxEntries = options.maxEntries ?? LIMITS.maxEntries;
  const maxEntryBytes = options.maxEntryBytes ?? LIMITS.maxEntryBytes;
  if (archive.length % BLOCK !== 0) throw new TarError('malformed', 'the archive is truncated (its length is not a whole number of blocks)');

  const entries: TarEntry[] = [];
  const seen = new Map<string, string>();
  let offset = 0;
  for (;;) {
    if (offset + BLOCK > archive.length) throw new TarError('malformed', 'the archive is truncated (no end-of-archive marker)');
    const header = archive.subarray(offset, offset + BLOCK);
    if (isZero(header)) {
      if (offset + 2 * BLOCK > archive.length || !isZero(archive.subarray(offset + BLOCK, offset + 2 * BLOCK))) {
        throw new TarError('malformed', 'the archive is truncated (incomplete end-of-archive marker)');
      }
      if (!isZero(archive.subarray(offset + 2 * BLOCK))) throw new TarError('malformed', 'the archive has data after its end-of-archive marker');
      return entries;
    }
    if (entries.length >= maxEntries) throw new TarError('limit', `the archive has more than ${maxEntries} entries`);
    const { path, size, mtime } = decodeHeader(header);
    if (size > maxEntryBytes) throw new TarError('limit', `entry ${path} is larger than ${maxEntryBytes} bytes`, path);
    const folded = path.toLowerCase();
    const clash = seen.get(folded);
    if (clash !== undefined) {
      throw new TarError('duplicate-entry', clash === path ? `the archive holds ${path} twice` : `the archive holds ${clash} and ${path}, which differ only by case`, path);
    }
    seen.set(folded, path);
    const start = offset + BLOCK;
    const end = start + size;
    const next = end + padding(size);
    if (next > archive.length) throw new TarError('malformed', `the archive is truncated inside ${path}`, path);
    if (!isZero(archive.subarray(end, next))) throw new TarError('malformed', `the padding after ${path} is not zero`, path);
    entries.push({ path, data: archive.subarray(start, end), mtime });
    offset = next;
  }
}

function decodeHeader(header: Buffer): { path: string; size: number; mtime: number } {
  const stored = readOctal(header, 148, 8, 'checksum');
  if (stored !== checksum(header)) throw new TarError('malformed', 'a tar header has a bad checksum');
  if (header.toString('latin1', 257, 265) !== 'ustar\u000000') throw new TarError('unsafe-entry', 'a tar header is not POSIX ustar (GNU or old-style headers are refused)');

  const name = readString(header, 0, 100, 'name');
  const prefix = readString(header, 345, 155, 'prefix');
  const path = prefix ? `${prefix}/${name}` : name;
  const type = header[156];
  if (type !== 0x30 && type !== 0) {
    const kind = TYPE_NAMES[String.fromCharCode(type ?? 0)] ?? `type ${JSON.stringify(String.fromCharCode(type ?? 0))}`;
    throw new TarError('unsafe-entry', `entry ${JSON.stringify(path)} is a ${kind}; only plain files are allowed`, path);
  }
  if (readString(header, 157, 100, 'linkname') !== '') throw new TarError('unsafe-entry', `entry ${JSON.stringify(path)} names a link target`, path);
  const problem = pathProblem(path);
  if (problem) throw new TarError('unsafe-entry', `entry ${JSON.stringify(path)} has an unsafe path: ${problem}`, path);
  for (const [offset, width, field] of NUMERIC_FIELDS) readOctal(header, offset, width, field);
  readString(header, 265, 32, 'uname');
  readString(header, 297, 32, 'gname');
  if (!isZero(header.subarray(500))) throw new TarError('malformed', `the header of ${path} has data in its unused bytes`, path);
  return { path, size: readOctal(header, 124, 12, 'size'), mtime: readOctal(header, 136, 12, 'mtime') };
}

const NUMERIC_FIELDS: ReadonlyArray<[number, number, string]> = [
  [100, 8, 'mode'],
  [108, 8, 'uid'],
  [116, 8, 'gid'],
  [136, 12, 'mtime'],
  [329, 8, 'devmajor'],
  [337, 8, 'devminor'],
];

const TYPE_NAMES: Readonly<Record<string, string>> = {
  '1': 'hard link',
  '2': 'symbolic link',
  '3': 'character device',
  '4': 'block device',
  '5': 'directory',
  '6': 'FIFO',
  '7': 'contiguous file',
  x: 'PAX extended header',
  g: 'PAX global header',
  L: 'GNU long-name header',
  K: 'GNU long-link header',
  D: 'GNU directory dump',
  M: 'GNU multi-volume entry',
  S: 'GNU sparse file',
  V: 'volume label',
};

/** A NUL-terminated ASCII field; bytes after the terminator must be zero. */
function readString(header: Buffer, offset: number, width: number, field: string): string {
  const bytes = header.subarray(offset, offset + width);
  const nul = bytes.indexOf(0);
  const end = nul === -1 ? width : nul;
  if (nul !== -1 && !isZero(bytes.subarray(nul))) throw new TarError('malformed', `a tar header's ${field} field has data after its terminator`);
  for (let i = 0; i < end; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b > 0x7e) throw new TarError('unsafe-entry', `a tar header's ${field} field holds a non-ASCII or control character`);
  }
  return bytes.toString('ascii', 0, end);
}

/** Octal digits, optionally space-padded in front, terminated by NUL or space. Base-256 is refused. */
function readOctal(header: Buffer, offset: number, width: number, field: string): number {
  const text = header.toString('latin1', offset, offset + width);
  const match = /^ *([0-7]+)[ \0]*$/.exec(text);
  if (!match) throw new TarError('malformed', `a tar header's ${field} field is not an octal number`);
  const value = parseInt(match[1]!, 8);
  if (!Number.isSafeInteger(value)) throw new TarError('malformed', `a tar header's ${field} field is out of range`);
  return value;
}

/** Why `path` is unsafe as a bundle entry, or undefined when it is fine. */
export function pathProblem(path: string): string | undefined {
  if (path.length === 0) return 'it is empty';
  if (Buffer.byteLength(path) > LIMITS.maxPathBytes) return `it is longer than ${LIMITS.maxPathBytes} bytes`;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return 'it holds a non-ASCII or control character';
  }
  if (path.includes('\\')) return 'it holds a backslash';
  if (path.startsWith('/')) return 'it is absolute';
  if (/^[A-Za-z]:/.test(path)) return 'it starts with a drive letter';
  if (path.includes(':')) return 'it holds a colon';
  for (const segment of path.split('/')) {
    if (segment === '') return 'it has an empty segment';
    if (segment === '.' || segment === '..') return `it has a "${segment}" segment`;
  }
  return undefined;
}

function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
