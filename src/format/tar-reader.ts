/**
 * The strict tar reader, fed in chunks of any size: the whole archive at once (`readTar`) or
 * block by block as a stream inflates. It is the only tar reader, so both paths apply the
 * same rules, and the outcome never depends on how the bytes were split.
 *
 * After the first problem it keeps counting bytes without parsing them, and `end()` reports
 * the problem an in-memory reader would have met first: an archive that is not a whole
 * number of blocks, then a truncation inside an entry, then the problem itself.
 */
import { createHash, type Hash } from 'node:crypto';
import { sha256Hex } from './digest.js';
import { LIMITS } from '../limits.js';
import { AcceptedFields, BLOCK, chunkOf, decodeHeader, isZero, padding, TarError, type Chunk } from './tar-header.js';

export interface TarEntry {
  readonly path: string;
  readonly data: Buffer;
  /** Seconds since the epoch, as read; ignored when writing (the archive's one mtime is used). */
  readonly mtime?: number;
  /** Hex SHA-256 of `data`, when the reader was asked to hash entries. */
  readonly sha256?: string;
  /** Set when `admit` said not to keep the bytes: `data` is empty, and only their size (and hash) are known. */
  readonly notKept?: { size: number };
}

/** What to do with an entry's bytes, decided from its header: keep them, only hash (and count) them, or only count them. */
export type Admission = 'keep' | 'hash' | 'count';

export interface ReadTarOptions {
  maxEntries?: number;
  maxEntryBytes?: number;
  /** No more than this many bytes can arrive; an entry that could not fit is not buffered. */
  maxArchiveBytes?: number;
  /** Compute each entry's SHA-256 as its bytes arrive. */
  hash?: boolean;
  /**
   * Decides, from each header, whether the entry's bytes are kept; may throw a TarError to refuse
   * the archive there. Default: keep everything.
   */
  admit?: (path: string, size: number) => Admission;
  /**
   * Copy each kept entry out of the chunk it arrived in (default: a view into the chunk), unless
   * it fills a quarter of the chunk or more. A small entry then never holds a whole inflated
   * chunk in memory, and a large one (a manifest of thousands of migrations) is not copied: the
   * chunk it keeps alive is at most four times its size.
   */
  copy?: boolean;
}

const EMPTY = Buffer.alloc(0);

const enum State {
  Header,
  Data,
  Padding,
  SecondZeroBlock,
  AfterEnd,
}

interface Current {
  path: string;
  size: number;
  mtime: number;
  /** Where the entry's padding ends, counted from the start of the archive. */
  next: number;
  data: Buffer | undefined;
  filled: number;
  /** The running hash of an entry whose bytes arrive in more than one chunk. */
  hash: Hash | undefined;
  /** Hashed (when the reader hashes) and counted, or only counted: not kept. */
  skip: boolean;
  /** A skipped entry whose hash is wanted. */
  hashSkipped: boolean;
  /** The hash of a skipped entry that arrived whole. */
  sha256?: string;
}

export class TarReader {
  readonly #maxEntries: number;
  readonly #maxEntryBytes: number;
  readonly #maxArchiveBytes: number;
  readonly #hash: boolean;
  readonly #admit: ReadTarOptions['admit'];
  readonly #copy: boolean;
  readonly #entries: TarEntry[] = [];
  readonly #seen = new Map<string, string>();
  readonly #accepted = new AcceptedFields();
  #state = State.Header;
  #total = 0;
  readonly #block = chunkOf(Buffer.alloc(BLOCK));
  #blockFill = 0;
  #current: Current | undefined;
  #left = 0;
  #error: { error: TarError; truncatedBelow?: number } | undefined;

  constructor(options: ReadTarOptions = {}) {
    this.#maxEntries = options.maxEntries ?? LIMITS.maxEntries;
    this.#maxEntryBytes = options.maxEntryBytes ?? LIMITS.maxEntryBytes;
    this.#maxArchiveBytes = options.maxArchiveBytes ?? Infinity;
    this.#hash = options.hash ?? false;
    this.#admit = options.admit;
    this.#copy = options.copy ?? false;
  }

  push(bytes: Buffer): void {
    const offset = this.#total;
    this.#total += bytes.length;
    if (this.#error) return;
    const chunk = chunkOf(bytes);
    let pos = 0;
    while (pos < bytes.length && !this.#error) {
      try {
        pos = this.#step(chunk, pos, offset);
      } catch (error) {
        if (!(error instanceof TarError)) throw error;
        this.#error = { error };
      }
    }
  }

  /** The entries, once the whole archive was pushed; throws the archive's first problem. */
  end(): TarEntry[] {
    if (this.#total % BLOCK !== 0) throw new TarError('malformed', 'the archive is truncated (its length is not a whole number of blocks)');
    const current = this.#current;
    const truncated = () => new TarError('malformed', `the archive is truncated inside ${current!.path}`, current!.path);
    if (this.#error) {
      if (this.#error.truncatedBelow !== undefined && this.#total < this.#error.truncatedBelow) throw truncated();
      throw this.#error.error;
    }
    switch (this.#state) {
      case State.Header:
        throw new TarError('malformed', 'the archive is truncated (no end-of-archive marker)');
      case State.Data:
      case State.Padding:
        throw truncated();
      case State.SecondZeroBlock:
        throw new TarError('malformed', 'the archive is truncated (incomplete end-of-archive marker)');
      case State.AfterEnd:
        return this.#entries;
    }
  }

  /** Consumes bytes of `chunk` from `pos` for the current state; returns the new position. */
  #step(chunk: Chunk, pos: number, chunkOffset: number): number {
    const length = chunk.bytes.length;
    switch (this.#state) {
      case State.Header:
      case State.SecondZeroBlock: {
        let block = chunk;
        let at = pos;
        if (this.#blockFill === 0 && length - pos >= BLOCK) pos += BLOCK;
        else {
          const n = Math.min(BLOCK - this.#blockFill, length - pos);
          chunk.bytes.copy(this.#block.bytes, this.#blockFill, pos, pos + n);
          this.#blockFill += n;
          pos += n;
          if (this.#blockFill < BLOCK) return pos;
          this.#blockFill = 0;
          block = this.#block;
          at = 0;
        }
        if (this.#state === State.Header) this.#header(block, at, chunkOffset + pos);
        else if (isZero(block, at, at + BLOCK)) this.#state = State.AfterEnd;
        else throw new TarError('malformed', 'the archive is truncated (incomplete end-of-archive marker)');
        return pos;
      }
      case State.Data:
        return this.#data(chunk.bytes, pos);
      case State.Padding: {
        const n = Math.min(this.#left, length - pos);
        if (!isZero(chunk, pos, pos + n)) {
          const { path, next } = this.#current!;
          this.#error = { error: new TarError('malformed', `the padding after ${path} is not zero`, path), truncatedBelow: next };
        }
        this.#left -= n;
        if (this.#left === 0) this.#state = State.Header;
        return pos + n;
      }
      case State.AfterEnd:
        if (!isZero(chunk, pos, length)) throw new TarError('malformed', 'the archive has data after its end-of-archive marker');
        return length;
    }
  }

  /** The complete header block at `at` in `block`, which ends `end` bytes into the archive. */
  #header(block: Chunk, at: number, end: number): void {
    if (isZero(block, at, at + BLOCK)) {
      this.#state = State.SecondZeroBlock;
      return;
    }
    if (this.#entries.length >= this.#maxEntries) throw new TarError('limit', `the archive has more than ${this.#maxEntries} entries`);
    const { path, size, mtime } = decodeHeader(block, at, this.#accepted);
    if (size > this.#maxEntryBytes) throw new TarError('limit', `entry ${path} is larger than ${this.#maxEntryBytes} bytes`, path);
    const folded = path.toLowerCase();
    const clash = this.#seen.get(folded);
    if (clash !== undefined) {
      throw new TarError('duplicate-entry', clash === path ? `the archive holds ${path} twice` : `the archive holds ${clash} and ${path}, which differ only by case`, path);
    }
    this.#seen.set(folded, path);
    const admission = this.#admit?.(path, size) ?? 'keep';
    const skip = admission !== 'keep';
    this.#current = { path, size, mtime, next: end + size + padding(size), data: undefined, filled: 0, hash: undefined, skip, hashSkipped: skip && this.#hash && admission === 'hash' };
    this.#left = size;
    this.#state = State.Data;
    if (size === 0) this.#finishEntry();
  }

  #data(chunk: Buffer, pos: number): number {
    const current = this.#current!;
    const n = Math.min(this.#left, chunk.length - pos);
    if (current.skip) {
      // Hashed from a plain view of the chunk: no Buffer object per entry for bytes that are not kept.
      if (!current.hashSkipped) {
        /* counted only */
      } else if (current.filled === 0 && n === current.size) current.sha256 = sha256Hex(new Uint8Array(chunk.buffer, chunk.byteOffset + pos, n));
      else (current.hash ??= createHash('sha256')).update(new Uint8Array(chunk.buffer, chunk.byteOffset + pos, n));
      current.filled += n;
      this.#left -= n;
      if (this.#left === 0) this.#finishEntry();
      return pos + n;
    }
    const bytes = chunk.subarray(pos, pos + n);
    if (current.filled === 0 && n === current.size) current.data = this.#copy && n * 4 < chunk.length ? Buffer.from(bytes) : bytes;
    else {
      // An entry split across chunks is copied into a buffer of its own, unless it could never fit.
      if (current.filled === 0 && current.next - padding(current.size) <= this.#maxArchiveBytes) current.data = Buffer.allocUnsafe(current.size);
      current.data?.set(bytes, current.filled);
      if (this.#hash) (current.hash ??= createHash('sha256')).update(bytes);
    }
    current.filled += n;
    this.#left -= n;
    if (this.#left === 0) this.#finishEntry();
    return pos + n;
  }

  #finishEntry(): void {
    const current = this.#current!;
    if (current.skip) {
      const sha256 = current.hashSkipped ? (current.sha256 ?? (current.hash ?? createHash('sha256')).digest('hex')) : undefined;
      this.#entries.push(sha256 !== undefined ? { path: current.path, data: EMPTY, mtime: current.mtime, sha256, notKept: { size: current.size } } : { path: current.path, data: EMPTY, mtime: current.mtime, notKept: { size: current.size } });
      this.#left = padding(current.size);
      this.#state = this.#left === 0 ? State.Header : State.Padding;
      return;
    }
    if (current.data === undefined && current.size > 0) throw new TarError('limit', `entry ${current.path} ends past the archive's size limit`, current.path);
    const data = current.data ?? Buffer.alloc(0);
    if (this.#hash) {
      // An entry that arrived whole is hashed in one call; a split one was hashed as it came.
      const sha256 = current.hash ? current.hash.digest('hex') : sha256Hex(data);
      this.#entries.push({ path: current.path, data, mtime: current.mtime, sha256 });
    } else this.#entries.push({ path: current.path, data, mtime: current.mtime });
    this.#left = padding(current.size);
    this.#state = this.#left === 0 ? State.Header : State.Padding;
  }
}

/** Parses a tar stream held in memory. Entry data are views into `archive`, not copies. */
export function readTar(archive: Buffer, options: ReadTarOptions = {}): TarEntry[] {
  const reader = new TarReader(options);
  reader.push(archive);
  return reader.end();
}
