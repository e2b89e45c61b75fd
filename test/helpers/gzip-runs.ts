/**
 * Writes one gzip member to a file from pieces given in order: bytes as they are, and runs of one byte repeated up to
 * gigabytes. A hostile bundle is mostly such runs; compressing a gigabyte of spaces again for every bundle took
 * seconds of CPU. Here a mebibyte of each byte is deflated once, ending on a byte boundary (a sync flush), and its
 * compressed bytes are repeated: each copy refers to nothing before it, so the copies are one valid deflate stream.
 * The trailer's CRC-32 of a run is combined from the mebibyte's (zlib's crc32_combine), not computed over every byte.
 * The result is a single member with a correct CRC-32 and length, as any gzip writer's would be.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { constants, crc32, deflateRawSync } from 'node:zlib';

const MiB = 1024 ** 2;
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** An empty final block with fixed codes: the end of the deflate stream. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

export class GzipRunsWriter {
  private readonly fd: number;
  private crc = 0;
  private length = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private static readonly runs = new Map<number, { block: Buffer; deflated: Buffer; crc: number }>();

  constructor(path: string) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, GZIP_HEADER);
  }

  /** Bytes as they are (copied: the caller may reuse its buffer). Small pieces are gathered and deflated together. */
  bytes(data: Buffer): void {
    if (data.length === 0) return;
    this.pending.push(Buffer.from(data));
    this.pendingBytes += data.length;
    if (this.pendingBytes >= MiB) this.flush();
  }

  /** `size` bytes of `byte`. */
  run(byte: number, size: number): void {
    const run = GzipRunsWriter.runOf(byte);
    let left = size;
    if (left >= MiB) {
      this.flush();
      for (; left >= MiB; left -= MiB) {
        writeSync(this.fd, run.deflated);
        this.crc = crc32Combine(this.crc, run.crc, MiB);
        this.length += MiB;
      }
    }
    if (left > 0) this.bytes(run.block.subarray(0, left));
  }

  /** Ends the stream with its trailer and closes the file. */
  end(): void {
    this.flush();
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.length % 2 ** 32, 4);
    writeSync(this.fd, Buffer.concat([FINAL_BLOCK, trailer]));
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    const chunk = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.crc = crc32(chunk, this.crc);
    this.length += chunk.length;
    writeSync(this.fd, deflateRawSync(chunk, { level: 1, finishFlush: constants.Z_SYNC_FLUSH }));
  }

  private static runOf(byte: number): { block: Buffer; deflated: Buffer; crc: number } {
    let run = this.runs.get(byte);
    if (!run) {
      const block = Buffer.alloc(MiB, byte);
      run = { block, deflated: deflateRawSync(block, { level: 9, finishFlush: constants.Z_SYNC_FLUSH }), crc: crc32(block) };
      this.runs.set(byte, run);
    }
    return run;
  }
}

// CRC-32 of two pieces put together, from each piece's CRC and the second's length (zlib's crc32.c: multmodp,
// x2nmodp, crc32_combine): polynomial arithmetic modulo the CRC's polynomial, reflected.
const POLY = 0xedb88320;

function multmodp(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) modulo the polynomial, for k = 0..31. */
const X2N: number[] = [];
for (let k = 0, p = 1 << 30; k < 32; k++, p = multmodp(p, p)) X2N.push(p >>> 0);

/** x^(n * 2^k) modulo the polynomial. */
function x2nmodp(n: number, k: number): number {
  let p = 0x80000000;
  while (n > 0) {
    if (n % 2 === 1) p = multmodp(X2N[k & 31]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

function crc32Combine(crc1: number, crc2: number, length2: number): number {
  return (multmodp(x2nmodp(length2, 3), crc1) ^ crc2) >>> 0;
}
