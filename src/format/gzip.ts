/**
 * The bundle's compression layer. Output is deterministic: no file name, mtime 0, and the
 * operating-system byte fixed to "unknown" so the same tar gives the same bytes everywhere.
 * Decompression is capped in absolute size and in ratio, so a small bundle cannot
 * inflate into an exhausting one.
 */
import { gunzip, gzipSync, constants, type ZlibOptions } from 'node:zlib';
import { promisify } from 'node:util';
import { LIMITS } from '../limits.js';

const gunzipAsync = promisify(gunzip);
const OS_BYTE = 9;
const OS_UNKNOWN = 0xff;

export function gzipDeterministic(data: Buffer): Buffer {
  const out = gzipSync(data, { level: 6, memLevel: 8, windowBits: 15, strategy: constants.Z_DEFAULT_STRATEGY });
  out[OS_BYTE] = OS_UNKNOWN;
  return out;
}

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
  if (compressed.length < 18 || compressed[0] !== 0x1f || compressed[1] !== 0x8b || compressed[2] !== 8) {
    throw new GunzipError('malformed', 'the bundle is not a gzip stream');
  }
  const cap = decompressionCap(compressed.length);
  let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    inflated = (await gunzipAsync(compressed, { maxOutputLength: cap, info: true } as ZlibOptions)) as unknown as typeof inflated;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new GunzipError('limit', `the bundle decompresses to more than ${cap} bytes (limit for its size)`, error);
    }
    throw new GunzipError('malformed', `the bundle's compressed stream is damaged (${(error as Error).message})`, error);
  }
  // zlib skips bytes after a member and decodes any further member: refuse both (one member, whose ISIZE is the whole output).
  const { buffer, engine } = inflated;
  if (engine.bytesWritten !== compressed.length || compressed.readUInt32LE(compressed.length - 4) !== buffer.length % 2 ** 32) {
    throw new GunzipError('malformed', 'the bundle has data after its compressed stream');
  }
  return buffer;
}
