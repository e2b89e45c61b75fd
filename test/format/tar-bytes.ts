/**
 * A hand-written ustar header encoder for hostile-archive tests. It is deliberately
 * independent of src/format/tar.ts: every field can be set to whatever an attacker would
 * put there (link types, PAX/GNU headers, bad checksums, base-256 sizes, odd magic).
 */
import { gzipSync } from 'node:zlib';

export const BLOCK = 512;

export interface RawEntry {
  name: string;
  data?: Buffer;
  /** Type flag character: '0' file, '1' hard link, '2' symlink, '5' directory, 'x' PAX, 'L' GNU long name… */
  type?: string;
  linkname?: string;
  prefix?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  /** Overrides the size field with raw bytes (12 of them), e.g. a base-256 number. */
  sizeField?: Buffer;
  /** Overrides the declared size (data length otherwise). */
  size?: number;
  /** Overrides the 8-byte magic+version (default "ustar\0" + "00"). */
  magic?: Buffer;
  /** Adds this to the correct checksum (non-zero gives a bad checksum). */
  checksumDelta?: number;
  /** Raw name bytes, written instead of `name` (for non-ASCII or control characters). */
  nameBytes?: Buffer;
}

function octal(buf: Buffer, offset: number, width: number, value: number): void {
  buf.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, width, 'latin1');
}

export function rawHeader(entry: RawEntry): Buffer {
  const h = Buffer.alloc(BLOCK);
  if (entry.nameBytes) entry.nameBytes.copy(h, 0, 0, 100);
  else h.write(entry.name, 0, 100, 'latin1');
  octal(h, 100, 8, entry.mode ?? 0o644);
  octal(h, 108, 8, entry.uid ?? 0);
  octal(h, 116, 8, entry.gid ?? 0);
  if (entry.sizeField) entry.sizeField.copy(h, 124, 0, 12);
  else octal(h, 124, 12, entry.size ?? entry.data?.length ?? 0);
  octal(h, 136, 12, entry.mtime ?? 0);
  h.write(entry.type ?? '0', 156, 1, 'latin1');
  if (entry.linkname) h.write(entry.linkname, 157, 100, 'latin1');
  (entry.magic ?? Buffer.from('ustar\u000000', 'latin1')).copy(h, 257, 0, 8);
  octal(h, 329, 8, 0);
  octal(h, 337, 8, 0);
  if (entry.prefix) h.write(entry.prefix, 345, 155, 'latin1');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  octal(h, 148, 8, sum + (entry.checksumDelta ?? 0));
  return h;
}

function pad(length: number): Buffer {
  return Buffer.alloc((BLOCK - (length % BLOCK)) % BLOCK);
}

/** Entries in the given order (no sorting), then two zero blocks and `trailer`. */
export function rawTar(entries: readonly RawEntry[], trailer: Buffer = Buffer.alloc(0)): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.data ?? Buffer.alloc(0);
    parts.push(rawHeader(entry), data, pad(data.length));
  }
  parts.push(Buffer.alloc(2 * BLOCK), trailer);
  return Buffer.concat(parts);
}

export function gzip(data: Buffer, level = 6): Buffer {
  return gzipSync(data, { level });
}

/** A PAX extended-header record: "LEN key=value\n" with LEN counting itself. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length++;
  return `${length}${body}`;
}
