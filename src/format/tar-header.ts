/**
 * One 512-byte ustar header block: the strict decoder, the checksum, and the path rules
 * shared by the writer and the reader. Byte loops rather than string conversions and
 * regular expressions, because a bundle of thousands of migrations has thousands of headers
 * and they are decoded on every verification.
 */
import { LIMITS } from '../limits.js';

export const BLOCK = 512;

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

export interface DecodedHeader {
  path: string;
  size: number;
  mtime: number;
}

/**
 * Bytes to read blocks from, with a 32-bit view of the same memory when it is 4-byte aligned,
 * so that checksums and runs of zeros are read a word at a time.
 */
export interface Chunk {
  readonly bytes: Buffer;
  readonly words: Uint32Array | undefined;
}

export function chunkOf(bytes: Buffer): Chunk {
  return { bytes, words: bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2) : undefined };
}

/** "ustar\0" then version "00": POSIX ustar. GNU ("ustar  \0") and v7 (no magic) are refused. */
const MAGIC = [0x75, 0x73, 0x74, 0x61, 0x72, 0x00, 0x30, 0x30];

/** Decodes the non-zero header block at `at`, refusing anything but a plain file at a safe path. */
export function decodeHeader(chunk: Chunk, at: number): DecodedHeader {
  const header = chunk.bytes;
  const stored = readOctal(header, at + 148, 8, 'checksum');
  if (stored !== checksum(chunk, at)) throw new TarError('malformed', 'a tar header has a bad checksum');
  for (let i = 0; i < 8; i++) {
    if (header[at + 257 + i] !== MAGIC[i]) throw new TarError('unsafe-entry', 'a tar header is not POSIX ustar (GNU or old-style headers are refused)');
  }

  const name = readString(chunk, at, 100, 'name');
  const prefix = readString(chunk, at + 345, 155, 'prefix');
  const path = prefix ? `${prefix}/${name}` : name;
  const type = header[at + 156]!;
  if (type !== 0x30 && type !== 0) {
    const kind = TYPE_NAMES[String.fromCharCode(type)] ?? `type ${JSON.stringify(String.fromCharCode(type))}`;
    throw new TarError('unsafe-entry', `entry ${JSON.stringify(path)} is a ${kind}; only plain files are allowed`, path);
  }
  if (readString(chunk, at + 157, 100, 'linkname') !== '') throw new TarError('unsafe-entry', `entry ${JSON.stringify(path)} names a link target`, path);
  const problem = pathProblem(path);
  if (problem) throw new TarError('unsafe-entry', `entry ${JSON.stringify(path)} has an unsafe path: ${problem}`, path);
  readOctal(header, at + 100, 8, 'mode');
  readOctal(header, at + 108, 8, 'uid');
  readOctal(header, at + 116, 8, 'gid');
  readOctal(header, at + 136, 12, 'mtime');
  readOctal(header, at + 329, 8, 'devmajor');
  readOctal(header, at + 337, 8, 'devminor');
  readString(chunk, at + 265, 32, 'uname');
  readString(chunk, at + 297, 32, 'gname');
  if (!isZero(chunk, at + 500, at + BLOCK)) throw new TarError('malformed', `the header of ${path} has data in its unused bytes`, path);
  return { path, size: readOctal(header, at + 124, 12, 'size'), mtime: readOctal(header, at + 136, 12, 'mtime') };
}

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
function readString(chunk: Chunk, offset: number, width: number, field: string): string {
  const limit = offset + width;
  const nul = chunk.bytes.indexOf(0, offset);
  const end = nul === -1 || nul > limit ? limit : nul;
  if (!isZero(chunk, end, limit)) throw new TarError('malformed', `a tar header's ${field} field has data after its terminator`);
  if (end === offset) return '';
  const text = chunk.bytes.toString('latin1', offset, end);
  if (NOT_PRINTABLE.test(text)) throw new TarError('unsafe-entry', `a tar header's ${field} field holds a non-ASCII or control character`);
  return text;
}

const NOT_PRINTABLE = /[^\x20-\x7e]/;

/** Octal digits, optionally space-padded in front, terminated by NUL or space. Base-256 is refused. */
function readOctal(header: Buffer, offset: number, width: number, field: string): number {
  const limit = offset + width;
  let i = offset;
  while (i < limit && header[i] === 0x20) i++;
  const first = i;
  let value = 0;
  for (; i < limit; i++) {
    const b = header[i]!;
    if (b < 0x30 || b > 0x37) break;
    value = value * 8 + (b - 0x30);
  }
  let ok = i > first;
  for (; ok && i < limit; i++) ok = header[i] === 0x20 || header[i] === 0;
  if (!ok) throw new TarError('malformed', `a tar header's ${field} field is not an octal number`);
  if (!Number.isSafeInteger(value)) throw new TarError('malformed', `a tar header's ${field} field is out of range`);
  return value;
}

/**
 * Segments of printable ASCII other than "\\" and ":", joined by single slashes, none of them
 * "." or "..": a path every rule below accepts, recognized in one pass (the rules then name
 * the problem of any other path).
 */
const SAFE_PATH = /^(?!\.\.?(?:\/|$))[\x20-\x2e\x30-\x39\x3b-\x5b\x5d-\x7e]+(?:\/(?!\.\.?(?:\/|$))[\x20-\x2e\x30-\x39\x3b-\x5b\x5d-\x7e]+)*$/;

/** Why `path` is unsafe as a bundle entry, or undefined when it is fine. */
export function pathProblem(path: string): string | undefined {
  if (path.length <= LIMITS.maxPathBytes && SAFE_PATH.test(path)) return undefined;
  if (path.length === 0) return 'it is empty';
  if (Buffer.byteLength(path) > LIMITS.maxPathBytes) return `it is longer than ${LIMITS.maxPathBytes} bytes`;
  if (NOT_PRINTABLE.test(path)) return 'it holds a non-ASCII or control character';
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

/**
 * The byte sum of the header block at `at`, its checksum field counted as eight spaces. Where
 * the block is aligned, four bytes are added at a time in two 16-bit lanes (128 words add at
 * most 128 x 2 x 255 to a lane, which cannot carry into the next).
 */
export function checksum(chunk: Chunk, at = 0): number {
  const { bytes, words } = chunk;
  let sum = 8 * 0x20;
  if (words && at % 4 === 0) {
    let lanes = 0;
    for (let i = at >> 2, end = i + BLOCK / 4; i < end; i++) {
      const w = words[i]!;
      lanes += (w & 0x00ff00ff) + ((w >>> 8) & 0x00ff00ff);
    }
    sum += (lanes & 0xffff) + (lanes >>> 16);
    for (let i = at + 148; i < at + 156; i++) sum -= bytes[i]!;
    return sum;
  }
  for (let i = at; i < at + 148; i++) sum += bytes[i]!;
  for (let i = at + 156; i < at + BLOCK; i++) sum += bytes[i]!;
  return sum;
}

export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Whether chunk.bytes[start, end) are all zero, a word at a time where aligned. */
export function isZero(chunk: Chunk, start: number, end: number): boolean {
  const { bytes, words } = chunk;
  let i = start;
  if (words) {
    for (; i < end && i % 4 !== 0; i++) if (bytes[i] !== 0) return false;
    for (; i + 4 <= end; i += 4) if (words[i >> 2] !== 0) return false;
  }
  for (; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}
