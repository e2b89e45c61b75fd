/**
 * The append-only audit log: every plan, apply, refusal, rollback and resolve leaves one
 * JSON line that carries the SHA-256 of the line before it (scheme in ./record.ts).
 *
 * Appends hold an exclusive lock on `LOG.lock` (./lock.ts), open the log with O_APPEND, write
 * the whole line in one call and fsync before returning (or, asked not to, leave it to the next
 * append that does, and say when that happened: whenSynced). Records are redacted first
 * (./redact.ts): no password, passphrase, token or URL password reaches the file.
 */
import { closeSync, constants, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname } from 'node:path';
import { MigsealError } from '../errors.js';
import { parseStrictJson } from '../format/strict-json.js';
import { withFileLock } from './lock.js';
import { GENESIS, RESERVED_FIELDS, sealRecord, sha256Hex } from './record.js';
import { redactRecord, secretValuesFromEnv } from './redact.js';

export { verifyAuditLog, type AuditVerification } from './verify.js';
export { GENESIS, recordHash } from './record.js';

export interface AppendOptions {
  /** Environment whose secret-looking variables are scrubbed from the record (default: process.env). */
  env?: Record<string, string | undefined>;
  now?: Date;
  /**
   * false: written without an fsync of its own. The next append to the same log that syncs
   * (or syncAuditLog) makes it durable too, and whenSynced says when: whoever reports the
   * record's outcome waits for that first.
   */
  sync?: boolean;
}

/**
 * Logs this process appended to without syncing, each with whoever waits for the sync. One
 * fsync makes every write before it durable, whichever append made it: a fleet's target
 * record is synced by the next target's first record, one fsync a target instead of two.
 */
const unsynced = new Map<string, Array<() => void>>();

/** The log is synced: every append before now is durable. */
function synced(path: string): void {
  const waiting = unsynced.get(path);
  unsynced.delete(path);
  for (const resolve of waiting ?? []) resolve();
}

/** Syncs what this process appended to `path` without syncing, if anything. */
export function syncAuditLog(path: string): void {
  if (!unsynced.has(path)) return;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch (error) {
    throw new MigsealError('IO', `Cannot open the audit log ${path}.`, { cause: error });
  }
  try {
    fsyncSync(fd);
  } catch (error) {
    throw new MigsealError('IO', `Cannot sync the audit log ${path}.`, { cause: error });
  } finally {
    closeSync(fd);
  }
  synced(path);
}

/**
 * Resolves once everything appended to `path` so far is durable: at the next append that
 * syncs, or after maxWaitMs by syncing it then (a sync that fails leaves it waiting for the next).
 */
export function whenSynced(path: string, maxWaitMs: number): Promise<void> {
  const waiting = unsynced.get(path);
  if (waiting === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        syncAuditLog(path);
      } catch {
        // The next append that syncs (the rollout's own record) says what is wrong.
      }
    }, maxWaitMs);
    waiting.push(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export interface AppendedRecord {
  seq: number;
  hash: string;
  /** SHA-256 of the line just written: the `prev` of the next record. */
  lineHash: string;
  /** The line written, without its "\n": what other sinks receive. */
  line: string;
}

export function appendAuditRecord(path: string, record: Record<string, unknown>, options: AppendOptions = {}): AppendedRecord {
  const clean = redactRecord(record, secretValuesFromEnv(options.env ?? process.env)) as Record<string, unknown>;
  for (const field of RESERVED_FIELDS) delete clean[field];
  return withFileLock(`${path}.lock`, () => {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, 0o600);
    } catch (error) {
      throw new MigsealError('IO', `Cannot open the audit log ${path}.`, { cause: error });
    }
    try {
      const created = fstatSync(fd).size === 0;
      const tail = readTail(fd);
      const base = { seq: tail.seq, time: (options.now ?? new Date()).toISOString(), host: hostname(), user: osUser(), prev: tail.prev };
      const line = sealRecord({ ...clean, ...base });
      // A torn last line (a crash mid-write) is closed off so it stays a line of its own; verify names it.
      writeAll(fd, Buffer.from(tail.torn ? `\n${line}` : line, 'utf8'));
      if (options.sync === false && !created) {
        if (!unsynced.has(path)) unsynced.set(path, []);
      } else {
        fsyncSync(fd);
        if (created) syncDirectory(dirname(path));
        synced(path);
      }
      return { seq: base.seq, hash: JSON.parse(line).hash as string, lineHash: sha256Hex(line.slice(0, -1)), line: line.slice(0, -1) };
    } catch (error) {
      throw error instanceof MigsealError ? error : new MigsealError('IO', `Cannot append to the audit log ${path}.`, { cause: error });
    } finally {
      closeSync(fd);
    }
  });
}

interface Tail {
  seq: number;
  prev: string;
  torn: boolean;
}

const CHUNK = 64 * 1024;

/** Finds the last line (reading backwards) and derives the next record's seq and prev. */
function readTail(fd: number): Tail {
  const size = fstatSync(fd).size;
  if (size === 0) return { seq: 1, prev: GENESIS, torn: false };
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  const torn = last[0] !== 0x0a;
  const end = torn ? size : size - 1;
  let start = end;
  const chunks: Buffer[] = [];
  while (start > 0) {
    const from = Math.max(0, start - CHUNK);
    const chunk = Buffer.alloc(start - from);
    readSync(fd, chunk, 0, chunk.length, from);
    const newline = chunk.lastIndexOf(0x0a);
    if (newline >= 0) {
      chunks.unshift(chunk.subarray(newline + 1));
      start = from + newline + 1;
      break;
    }
    chunks.unshift(chunk);
    start = from;
  }
  const line = Buffer.concat(chunks);
  return { seq: seqAfter(line) ?? countLines(fd, size) + 1, prev: sha256Hex(line), torn };
}

function seqAfter(line: Buffer): number | undefined {
  try {
    const parsed = parseStrictJson(line.toString('utf8')) as Record<string, unknown>;
    return typeof parsed.seq === 'number' && Number.isSafeInteger(parsed.seq) && parsed.seq > 0 ? parsed.seq + 1 : undefined;
  } catch {
    return undefined;
  }
}

/** Lines in the file, counting a torn last line: the slow path when the last line does not parse. */
function countLines(fd: number, size: number): number {
  let lines = 0;
  const chunk = Buffer.alloc(CHUNK);
  let lastByte = 0x0a;
  for (let pos = 0; pos < size; pos += CHUNK) {
    const n = readSync(fd, chunk, 0, Math.min(CHUNK, size - pos), pos);
    for (let i = 0; i < n; i++) if (chunk[i] === 0x0a) lines++;
    lastByte = chunk[n - 1] ?? lastByte;
  }
  return lastByte === 0x0a ? lines : lines + 1;
}

function writeAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse fsync on a directory; the file itself is synced.
  }
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}
