/**
 * Who holds a SQLite database's runner lock. The lock is an exclusive transaction on a side
 * file, which records nobody: so the runner that takes it writes who it is beside it (the
 * holder record: pid, host, OS user, what it runs, when it took the lock), and removes it
 * before letting the lock go. A runner that gives up waiting reads it and says whether that
 * process is still running on this host.
 *
 * The record only describes; the lock is the operating system's. A runner that died left its
 * record behind but not its lock: the next runner takes the lock and writes its own record
 * over it, and a runner that reads a record naming a process that is gone (or another process
 * that has its pid since) calls it stale rather than believing it. Nothing secret goes in it:
 * no arguments, no URL, no environment. It is written whole or not at all (a new file,
 * mode 0600, renamed over the old one), and read with a size limit.
 */
import { closeSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';

/** A record larger than this is not one migseal wrote. */
const MAX_RECORD_BYTES = 4096;
const FORMAT = 'migseal runner lock holder';

export interface LockHolderRecord {
  pid: number;
  host: string;
  user: string;
  /** "migseal apply shop 1.4.0": the command and the release it runs. */
  command: string;
  /** When it took the lock (ISO 8601). */
  lockedAt: string;
  /** Linux: this boot's id, and the process's start in clock ticks since boot, so a pid used again is told apart. */
  bootId?: string;
  processStart?: string;
}

/** What a waiting runner learned about the holder. */
export type HolderState =
  /** The record's process is running on this host (the same process: its start matches). */
  | { state: 'running'; record: LockHolderRecord }
  /** The record's process is not running on this host (it died, or its pid is another process's now). */
  | { state: 'stale'; record: LockHolderRecord }
  /** The record is from another host: whether it runs cannot be told from here. */
  | { state: 'elsewhere'; record: LockHolderRecord }
  /** No record: a migseal older than this one, or another program, holds the lock file. */
  | { state: 'unrecorded' }
  /** A record that cannot be read (permissions) or is not one migseal wrote. */
  | { state: 'unreadable'; reason: string };

/** The records this process wrote and has not removed: removed on exit too, when a command ends the process holding a lock. */
const written = new Set<string>();
let removeOnExit = false;

export const holderRecordPath = (lockPath: string): string => `${lockPath}-holder`;

/** Writes this process's record, whole, in place of any record there; false if it could not (it only describes). */
export function writeHolderRecord(path: string, command: string, now = new Date()): boolean {
  const record: LockHolderRecord & { format: string } = {
    format: FORMAT,
    pid: process.pid,
    host: printable(hostname()),
    user: printable(osUser()),
    command: printable(command),
    lockedAt: now.toISOString(),
    ...processIdentity(process.pid),
  };
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      // Not synced: it only describes a lock the operating system keeps, and a torn record after a crash reads as none.
      writeSync(fd, `${JSON.stringify(record)}\n`);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    written.add(path);
    if (!removeOnExit) {
      removeOnExit = true;
      process.on('exit', () => {
        for (const record of written) removeHolderRecord(record);
      });
    }
    return true;
  } catch {
    try {
      unlinkSync(temporary);
    } catch {
      // Never created.
    }
    return false;
  }
}

/** Removes the record (the holder does, before it lets the lock go). */
export function removeHolderRecord(path: string): void {
  written.delete(path);
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** Reads the record beside a lock that is held, and tells whether its process still runs here. */
export function readHolder(path: string): HolderState {
  let text: string;
  try {
    const fd = openSync(path, 'r');
    try {
      const buffer = Buffer.alloc(MAX_RECORD_BYTES + 1);
      const length = readSyncAll(fd, buffer);
      if (length > MAX_RECORD_BYTES) return { state: 'unreadable', reason: 'it is larger than a holder record' };
      text = buffer.subarray(0, length).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'unrecorded' };
    return { state: 'unreadable', reason: code === 'EACCES' || code === 'EPERM' ? 'permission denied' : String((error as Error).message ?? error) };
  }
  const record = parseRecord(text);
  if (!record) return { state: 'unreadable', reason: 'it is not a holder record migseal wrote' };
  if (record.host !== printable(hostname())) return { state: 'elsewhere', record };
  return { state: isRunning(record) ? 'running' : 'stale', record };
}

/** The holder, in words, for LOCK_TIMEOUT: ": pid 4242 on this host (user deploy, "migseal apply shop 1.4.0", took the lock … ago), still running". */
export function describeHolder(holder: HolderState, now = Date.now()): string {
  switch (holder.state) {
    case 'running':
      return `: pid ${holder.record.pid} on this host (${recordParts(holder.record, now)}), still running`;
    case 'elsewhere':
      return `: pid ${holder.record.pid} on host ${holder.record.host} (${recordParts(holder.record, now)}); whether it still runs cannot be checked from this host`;
    case 'stale':
      return `; its holder record names pid ${holder.record.pid} (${recordParts(holder.record, now)}), which is no longer running on this host, so that record is stale (left by a runner that died) and the holder is unknown`;
    case 'unrecorded':
      return '; it left no holder record (an older migseal, or another program holding the lock file)';
    case 'unreadable':
      return `; its holder record cannot be read (${holder.reason})`;
  }
}

function recordParts(record: LockHolderRecord, now: number): string {
  const taken = Date.parse(record.lockedAt);
  const ago = Number.isFinite(taken) ? `, ${Math.max(0, Math.round((now - taken) / 1000))} s ago` : '';
  return `user ${record.user}, "${record.command}", took the lock at ${record.lockedAt}${ago}`;
}

/** The record, if `text` is one migseal wrote: every field of its type, printable text only. */
function parseRecord(text: string): LockHolderRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const r = value as Record<string, unknown>;
  const isPrintable = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max && /^[\x20-\x7e]+$/.test(v);
  if (r.format !== FORMAT || !Number.isSafeInteger(r.pid) || (r.pid as number) <= 0) return undefined;
  if (!isPrintable(r.host, 255) || !isPrintable(r.user, 255) || !isPrintable(r.command, 255) || !isPrintable(r.lockedAt, 40)) return undefined;
  if (r.bootId !== undefined && !isPrintable(r.bootId, 64)) return undefined;
  if (r.processStart !== undefined && !(typeof r.processStart === 'string' && /^\d{1,20}$/.test(r.processStart))) return undefined;
  return {
    pid: r.pid as number,
    host: r.host,
    user: r.user,
    command: r.command,
    lockedAt: r.lockedAt,
    ...(r.bootId !== undefined && { bootId: r.bootId as string }),
    ...(r.processStart !== undefined && { processStart: r.processStart as string }),
  };
}

/**
 * Whether the record's process runs on this host: a process with its pid exists and, where the
 * record says when its process started (Linux), it is that process, in this boot.
 */
function isRunning(record: LockHolderRecord): boolean {
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    // EPERM: it exists, as another user's process.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = processIdentity(record.pid);
  if (record.bootId !== undefined && now.bootId !== undefined && record.bootId !== now.bootId) return false;
  if (record.processStart !== undefined && now.processStart !== undefined && record.processStart !== now.processStart) return false;
  return true;
}

/** Linux: the boot's id and the process's start time (field 22 of /proc/PID/stat), or nothing where they cannot be read. */
function processIdentity(pid: number): { bootId?: string; processStart?: string } {
  const out: { bootId?: string; processStart?: string } = {};
  try {
    out.bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // Not Linux.
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces or parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19];
    if (start !== undefined && /^\d+$/.test(start)) out.processStart = start;
  } catch {
    // Not Linux, or the process is gone.
  }
  return out;
}

/** Text as the record keeps it: printable ASCII (anything else as '?'), at most 255 characters, never empty. */
const printable = (text: string): string => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 255) || '?';

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

function readSyncAll(fd: number, buffer: Buffer): number {
  let length = 0;
  for (;;) {
    const n = readSync(fd, buffer, length, buffer.length - length, null);
    length += n;
    if (n === 0 || length >= buffer.length) return length;
  }
}
