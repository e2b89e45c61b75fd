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

/**
 * The fields of the last header `decodeHeader` accepted that do not name or size an entry
 * (mode, uid, gid, mtime, type, link name, magic, version, owner names, device numbers, the
 * unused bytes), as they were written, with the mtime they gave. A writer gives them the same
 * bytes in every header (migseal's writer always does), and a field of the same bytes as one
 * already accepted passes the same checks: the next header is then checked for its name,
 * prefix, size and checksum only. Any other header is checked field by field.
 */
export class AcceptedFields {
  modeToGid = '';
  mtimeField = '';
  typeToDevices = '';
  unused = '';
  mtime = 0;

  /** Whether the header `h` has exactly these bytes in those fields. */
  matches(h: string): boolean {
    return this.unused !== '' && h.startsWith(this.modeToGid, 100) && h.startsWith(this.mtimeField, 136) && h.startsWith(this.typeToDevices, 156) && h.startsWith(this.unused, 500);
  }

  remember(h: string, mtime: number): void {
    this.modeToGid = h.slice(100, 124);
    this.mtimeField = h.slice(136, 148);
    this.typeToDevices = h.slice(156, 345);
    this.unused = h.slice(500);
    this.mtime = mtime;
  }
}

/**
 * Decodes the non-zero header block at `at`, refusing anything but a plain file at a safe path.
 * With `accepted`, fields equal to those of the last header accepted are not checked again.
 * The path is a string of its own, not a slice of a string of the whole block.
 */
export function decodeHeader(chunk: Chunk, at: number, accepted?: AcceptedFields): DecodedHeader {
  const header = chunk.bytes;
  // Fields are read from one latin1 string of the block: string built-ins stay fast where a
  // byte loop would run thousands of times before the engine optimizes it.
  const h = header.toString('latin1', at, at + BLOCK);
  const stored = readOctal(h, 148, 8, 'checksum');
  if (stored !== checksum(chunk, at)) throw new TarError('malformed', 'a tar header has a bad checksum');
  if (accepted?.matches(h)) {
    // Magic, type and link name are among the fields already accepted: only the name, prefix and size are new.
    const path = entryPath(chunk, at, h);
    const problem = pathProblem(path);
    if (problem) throw new TarError('unsafe-entry', `entry ${JSON.stringify(path)} has an unsafe path: ${problem}`, path);
    return { path, size: readOctal(h, 124, 12, 'size'), mtime: accepted.mtime };
  }
  if (!h.startsWith(MAGIC, 257)) throw new TarError('unsafe-entry', 'a tar header is not POSIX ustar (GNU or old-style headers are refused)');

  const path = entryPath(chunk, at, h);
  const type = h.charCodeAt(156);
  if (type !== 0x30 && type !== 0) {
    const kind = TYPE_NAMES[h[156]!] ?? `type ${JSON.stringify(h[156])}`;
    throw new TarError('unsafe-entry', `entry ${JSON.stringify(path)} is a ${kind}; only plain files are allowed`, path);
  }
  if (!ONLY_NULS.test(h.slice(157, 257))) {
    readString(h, 157, 100, 'linkname'); // a malformed field is reported as such first
    throw new TarError('unsafe-entry', `entry ${JSON.stringify(path)} names a link target`, path);
  }
  const problem = pathProblem(path);
  if (problem) throw new TarError('unsafe-entry', `entry ${JSON.stringify(path)} has an unsafe path: ${problem}`, path);
  checkOctal(h, 100, 8, 'mode');
  checkOctal(h, 108, 8, 'uid');
  checkOctal(h, 116, 8, 'gid');
  const mtime = readOctal(h, 136, 12, 'mtime');
  checkOctal(h, 329, 8, 'devmajor');
  checkOctal(h, 337, 8, 'devminor');
  checkString(h, 265, 32, 'uname');
  checkString(h, 297, 32, 'gname');
  if (h.slice(500) !== UNUSED) throw new TarError('malformed', `the header of ${path} has data in its unused bytes`, path);
  const size = readOctal(h, 124, 12, 'size');
  accepted?.remember(h, mtime);
  return { path, size, mtime };
}

/**
 * The entry's path from its name and prefix fields (each checked), read from the block's bytes
 * so that it does not keep the string of the whole block alive.
 */
function entryPath(chunk: Chunk, at: number, h: string): string {
  const name = readString(h, 0, 100, 'name');
  const prefix = readString(h, 345, 155, 'prefix');
  const own = chunk.bytes.toString('latin1', at, at + name.length);
  return prefix ? `${chunk.bytes.toString('latin1', at + 345, at + 345 + prefix.length)}/${own}` : own;
}

/** "ustar\0" then version "00": POSIX ustar. GNU ("ustar  \0") and v7 (no magic) are refused. */
const MAGIC = 'ustar\u000000';
const UNUSED = '\0'.repeat(BLOCK - 500);

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
function readString(h: string, offset: number, width: number, field: string): string {
  const raw = h.slice(offset, offset + width);
  const plain = STRING_FIELD.exec(raw);
  if (plain) return plain[1]!;
  const nul = raw.indexOf('\0');
  if (nul !== -1 && !ONLY_NULS.test(raw.slice(nul))) throw new TarError('malformed', `a tar header's ${field} field has data after its terminator`);
  throw new TarError('unsafe-entry', `a tar header's ${field} field holds a non-ASCII or control character`);
}

/** A field that is valid and whose value is not needed: tested without building the value. */
function checkString(h: string, offset: number, width: number, field: string): void {
  if (!STRING_FIELD.test(h.slice(offset, offset + width))) readString(h, offset, width, field);
}

const NOT_PRINTABLE = /[^\x20-\x7e]/;
/** Printable ASCII, then nothing but NULs. */
const STRING_FIELD = /^([\x20-\x7e]*)\0*$/;
const ONLY_NULS = /^\0*$/;
/** Octal digits, optionally space-padded in front, then nothing but spaces or NULs. */
const OCTAL_FIELD = /^ *([0-7]+)[ \0]*$/;

function checkOctal(h: string, offset: number, width: number, field: string): void {
  if (!OCTAL_FIELD.test(h.slice(offset, offset + width))) readOctal(h, offset, width, field);
}

/** Octal digits, optionally space-padded in front, terminated by NUL or space. Base-256 is refused. */
function readOctal(h: string, offset: number, width: number, field: string): number {
  const digits = OCTAL_FIELD.exec(h.slice(offset, offset + width));
  if (!digits) throw new TarError('malformed', `a tar header's ${field} field is not an octal number`);
  const value = parseInt(digits[1]!, 8);
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
