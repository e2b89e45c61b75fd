/**
 * An exclusive lock between processes that append to the same audit log: the file
 * `LOG.lock`, created atomically (written under a private name, then hard-linked into place,
 * so it is never seen half-written) and naming its owner: host, process id, and on Linux the
 * boot and the process's start time, so that a reused process id is not mistaken for the owner.
 *
 * A runner killed mid-append leaves the file behind; the next writer on the same host sees
 * that its owner is gone and removes it. Removing someone else's lock is done by one process
 * at a time (the `LOG.lock.break` folder), and only while the file still names the dead owner.
 * An owner on another host cannot be checked: the writer waits, then names it in the error.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { MigsealError } from '../errors.js';
import { LIMITS } from '../limits.js';

interface Owner {
  host: string;
  pid: number;
  /** Linux: /proc/sys/kernel/random/boot_id and the process's start time in clock ticks since boot. */
  boot?: string;
  start?: string;
  token: string;
}

export function withFileLock<T>(lockPath: string, action: () => T, timeoutMs: number = LIMITS.auditLockTimeoutMs): T {
  const token = acquire(lockPath, timeoutMs);
  try {
    return action();
  } finally {
    release(lockPath, token);
  }
}

function acquire(lockPath: string, timeoutMs: number): string {
  const me: Owner = { host: hostname(), pid: process.pid, ...processIdentity(process.pid), token: randomBytes(16).toString('hex') };
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    if (tryCreate(lockPath, me)) return me.token;
    const held = readOwner(lockPath);
    if (held !== 'gone') {
      if (held === 'unreadable' || !isAlive(held)) breakStale(lockPath, held);
      else if (Date.now() >= deadline) {
        const who = held.host === me.host ? `process ${held.pid}` : `process ${held.pid} on ${held.host}`;
        throw new MigsealError('LOCK_TIMEOUT', `Another process (${who}) held the audit log lock ${lockPath} for more than ${timeoutMs} ms; if no migseal process is running there, remove the file.`);
      } else sleep(Math.min(25, 1 + attempt));
    }
  }
}

/** Creates the lock file naming `me`; false when it exists already. */
function tryCreate(lockPath: string, me: Owner): boolean {
  const draft = `${lockPath}.${me.pid}.${me.token.slice(0, 8)}`;
  try {
    writeFileSync(draft, `${JSON.stringify(me)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    throw new MigsealError('IO', `Cannot create the audit log lock ${lockPath}.`, { cause: error });
  }
  try {
    linkSync(draft, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new MigsealError('IO', `Cannot create the audit log lock ${lockPath}.`, { cause: error });
  } finally {
    unlinkSync(draft);
  }
}

/** The owner the lock file names; 'gone' when there is no file, 'unreadable' when it names none (a file left by another program). */
function readOwner(lockPath: string): Owner | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw new MigsealError('IO', `Cannot read the audit log lock ${lockPath}.`, { cause: error });
  }
  try {
    const owner = JSON.parse(text) as Owner;
    if (typeof owner.host === 'string' && Number.isSafeInteger(owner.pid) && typeof owner.token === 'string') return owner;
  } catch {
    // not an owner record
  }
  return 'unreadable';
}

/** True unless the owner is on this host and its process is gone (or the id now belongs to another process). */
function isAlive(owner: Owner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: a process of another user holds that id; compare start times below.
  }
  const now = processIdentity(owner.pid);
  if (owner.boot !== undefined && now.boot !== undefined && owner.boot !== now.boot) return false;
  if (owner.start !== undefined && now.start !== undefined && owner.start !== now.start) return false;
  return true;
}

/** Removes the lock file if it still names `stale`, one process at a time. */
function breakStale(lockPath: string, stale: Owner | 'unreadable'): void {
  const gate = `${lockPath}.break`;
  try {
    mkdirSync(gate, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new MigsealError('IO', `Cannot create ${gate}.`, { cause: error });
    try {
      if (Date.now() - statSync(gate).mtimeMs > LIMITS.auditLockBreakStaleMs) rmdirSync(gate);
    } catch {
      // another process removed it first
    }
    sleep(1);
    return;
  }
  try {
    const now = readOwner(lockPath);
    const same = now === 'unreadable' ? stale === 'unreadable' : now !== 'gone' && stale !== 'unreadable' && now.token === stale.token;
    if (same) unlinkSync(lockPath);
  } finally {
    rmdirSync(gate);
  }
}

function release(lockPath: string, token: string): void {
  const owner = readOwner(lockPath);
  if (owner !== 'gone' && owner !== 'unreadable' && owner.token === token) unlinkSync(lockPath);
}

/** Linux only: the boot and the start time of `pid`, which together tell a reused process id apart. */
function processIdentity(pid: number): { boot?: string; start?: string } {
  let boot: string;
  try {
    boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return {};
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); fields count from after the command name, which may hold spaces.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return start === undefined ? { boot } : { boot, start };
  } catch {
    return { boot };
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
