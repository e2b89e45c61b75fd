/**
 * The bundle's compression layer, reading side. Decompression is capped in absolute size and
 * in ratio, so a small bundle cannot inflate into an exhausting one. Compression, which must
 * give the same bytes on every machine, is in gzip-deterministic.ts: only the commands that
 * write bundles load it.
 */
import { createGunzip, gunzipSync } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { LIMITS } from '../limits.js';

export class GunzipError extends Error {
  readonly reason: 'malformed' | 'limit';
  constructor(reason: 'malformed' | 'limit', message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'GunzipError';
    this.reason = reason;
  }
}

/** The most a compressed input of `compressedBytes` may expand to. */
export function decompressionCap(compressedBytes: number): number {
  return Math.min(LIMITS.maxArchiveBytes, Math.max(LIMITS.ratioGraceBytes, compressedBytes * LIMITS.maxCompressionRatio));
}

/** Decompresses off the main thread, refusing output above the cap and any trailing bytes. */
export async function gunzipCapped(compressed: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  await gunzipStream([compressed], compressed.length, (part) => parts.push(part));
  return Buffer.concat(parts);
}

const INFLATE_CHUNK = 256 * 1024;
/**
 * A whole input up to this size is inflated in one call on the main thread: for a small bundle
 * the thread pool's round trips cost more than the inflating itself.
 */
const ONE_CALL_MAX_INPUT = 1024 * 1024;
/** ...while its output stays within this; a larger output is inflated in chunks as it is used (gunzipStream). */
const ONE_CALL_MAX_OUTPUT = 32 * 1024 * 1024;
const MIN_OUTPUT_CHUNK = 64 * 1024;

/**
 * Inflates a small input held whole, in one call, under the rules of gunzipStream (the same
 * zlib code decides, with the same messages); undefined when the input or its output is too
 * large for one call, and gunzipStream must inflate it.
 */
export function gunzipWhole(compressed: Buffer): Buffer | undefined {
  if (compressed.length > ONE_CALL_MAX_INPUT) return undefined;
  if (compressed.length < 18 || compressed[0] !== 0x1f || compressed[1] !== 0x8b || compressed[2] !== 8) throw notGzip();
  const cap = decompressionCap(compressed.length);
  const limit = Math.min(cap, ONE_CALL_MAX_OUTPUT);
  // One output buffer of the size the gzip trailer announces (one byte more, so zlib sees the end
  // without asking for another), instead of 16 KB pieces copied into one at the end: that copy
  // took as long as the inflating. The trailer is untrusted: a wrong one costs only speed (the
  // checks below decide), and the buffer never exceeds the limit.
  const announced = compressed.readUInt32LE(compressed.length - 4);
  const chunkSize = Math.max(MIN_OUTPUT_CHUNK, Math.min(limit, announced + 1));
  let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    inflated = gunzipSync(compressed, { info: true, maxOutputLength: limit, chunkSize }) as unknown as typeof inflated;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      if (cap <= ONE_CALL_MAX_OUTPUT) throw overCap(cap);
      return undefined;
    }
    if (typeof code === 'string' && code.startsWith('Z_')) throw damaged(error);
    throw error;
  }
  const { buffer, engine } = inflated;
  if (engine.bytesWritten !== compressed.length || compressed.readUInt32LE(compressed.length - 4) !== buffer.length % 2 ** 32) throw trailingData();
  return buffer;
}

/**
 * Inflates `compressedBytes` bytes arriving in chunks, handing each inflated chunk to
 * `onOutput` as it comes. zlib inflates on the thread pool while the main thread handles the
 * previous chunk. The rules are those of a whole-buffer gunzip: a gzip header, at most the
 * cap for this compressed size, exactly one member whose ISIZE is the output length, and no
 * byte after it. Returns the number of bytes inflated.
 */
export async function gunzipStream(source: Iterable<Buffer> | AsyncIterable<Buffer>, compressedBytes: number, onOutput: (chunk: Buffer) => void): Promise<number> {
  if (compressedBytes < 18) throw notGzip();
  const cap = decompressionCap(compressedBytes);
  const tail = Buffer.alloc(4);
  let fed = 0;
  let inflatedBytes = 0;
  // Nothing reaches zlib before the first three bytes are known to be a gzip header.
  async function* counted(): AsyncGenerator<Buffer> {
    let head: Buffer | undefined = Buffer.alloc(0);
    for await (let chunk of source) {
      if (head) {
        head = Buffer.concat([head, chunk]);
        if (head.length < 3) continue;
        if (head[0] !== 0x1f || head[1] !== 0x8b || head[2] !== 8) throw notGzip();
        chunk = head;
        head = undefined;
      }
      keepLastBytes(tail, chunk);
      fed += chunk.length;
      yield chunk;
    }
    if (head) throw notGzip();
  }
  const inflater = createGunzip({ chunkSize: INFLATE_CHUNK });
  let ended = false;
  inflater.once('end', () => (ended = true));
  try {
    await pipeline(counted(), inflater, async (inflated: AsyncIterable<Buffer>) => {
      for await (const chunk of inflated) {
        inflatedBytes += chunk.length;
        if (inflatedBytes > cap) throw overCap(cap);
        onOutput(chunk);
      }
    });
  } catch (error) {
    if (error instanceof GunzipError) throw error;
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw damaged(error);
    // zlib stops at the end of a member followed by bytes that start no other member; the rest cannot be written.
    if (ended) throw trailingData();
    throw error;
  }
  // zlib skips bytes after a member and decodes any further member: refuse both (one member, whose ISIZE is the whole output).
  if (fed !== compressedBytes || inflater.bytesWritten !== fed || tail.readUInt32LE(0) !== inflatedBytes % 2 ** 32) throw trailingData();
  return inflatedBytes;
}

function notGzip(): GunzipError {
  return new GunzipError('malformed', 'the bundle is not a gzip stream');
}

function overCap(cap: number): GunzipError {
  return new GunzipError('limit', `the bundle decompresses to more than ${cap} bytes (limit for its size)`);
}

function damaged(error: unknown): GunzipError {
  return new GunzipError('malformed', `the bundle's compressed stream is damaged (${(error as Error).message})`, error);
}

function trailingData(): GunzipError {
  return new GunzipError('malformed', 'the bundle has data after its compressed stream');
}

/** Keeps the last four bytes of the stream so far in `tail`. */
function keepLastBytes(tail: Buffer, chunk: Buffer): void {
  if (chunk.length >= 4) chunk.copy(tail, 0, chunk.length - 4);
  else {
    tail.copyWithin(0, chunk.length);
    chunk.copy(tail, 4 - chunk.length);
  }
}
