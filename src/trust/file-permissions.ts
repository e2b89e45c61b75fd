/**
 * Whether a trust file (the policy, a key, a CA or timestamp-authority certificate, a trusted
 * root) can be swapped by someone other than root or the user running migseal, judged as
 * OpenSSH's StrictModes judges its own files (threat T5.13):
 *
 * - every symlink on the way is followed, and both the folders holding the link and every
 *   folder on the path it leads to are checked;
 * - every folder, link and the file itself is owned by root or the running user;
 * - no folder is writable by group or others, unless it is sticky (like /tmp), where others
 *   cannot rename or remove what they do not own; the file is never writable by group or others.
 *
 * `readTrustedFile` reads a file only if it passes, and only if the file it opened is the one
 * it checked, so nothing can be slipped in between the check and the read.
 */
import { closeSync, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { MigsealError } from '../errors.js';

/** Links followed before a path is called a loop, as the kernel's own limit. */
const MAX_LINKS = 40;

/** Why `path` is not safe to trust, as one clause for a message (the first problem from `/` down); undefined when it is (or does not exist: its reader says so). */
export function insecurePermissions(path: string): string | undefined {
  return permissionProblems(path)[0];
}

/** Every reason `path` is not safe to trust, from `/` down (for `trust check`, which reports them all). */
export function permissionProblems(path: string): string[] {
  const problems: string[] = [];
  walk(isAbsolute(path) ? path : `${process.cwd()}/${path}`, { links: 0, uid: runningUid(), problems });
  return problems;
}

/**
 * Reads a trust file after checking it: POLICY_INSECURE when it is not safe, or when the file
 * opened is not the file checked (swapped meanwhile). Errors opening it (ENOENT...) are
 * thrown as they are, for the caller to report.
 */
export function readTrustedFile(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const opened = fstatSync(fd);
    const problem = insecurePermissions(path);
    if (problem) throw new MigsealError('POLICY_INSECURE', `The trust policy is not safe to use: ${problem}.`);
    const checked = statSync(path);
    if (checked.dev !== opened.dev || checked.ino !== opened.ino) throw new MigsealError('POLICY_INSECURE', `The trust policy is not safe to use: ${path} was replaced while it was read.`);
    if (!opened.isFile()) throw new MigsealError('POLICY_INSECURE', `The trust policy is not safe to use: ${path} is not a regular file.`);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * How a trust policy reaches the files it names. Migseal checks and reads them from disk each
 * time; the fuzzer, which parses a policy millions of times, passes one that remembers them.
 */
export interface TrustFiles {
  /** Why the file is not safe to trust, as `insecurePermissions`. */
  problem(path: string): string | undefined;
  /** The file's bytes, checked, as `readTrustedFile`. */
  read(path: string): Buffer;
}

export const DISK_TRUST_FILES: TrustFiles = { problem: insecurePermissions, read: readTrustedFile };

interface Walk {
  links: number;
  uid: number;
  problems: string[];
}

/**
 * Checks `/` and then each component of the absolute `path` as the kernel walks it: `..` steps
 * up from the real folder reached so far, and a link's target is walked (and checked) in full
 * before the rest of the path continues from where it really leads.
 */
function walk(path: string, state: Walk): void {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  let current = '/';
  problemWith(current, lstatSync(current), state);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '..') {
      current = dirname(current);
      continue;
    }
    const next = join(current, part);
    let stat: Stats;
    try {
      stat = lstatSync(next);
    } catch {
      return; // missing: whoever reads it reports that
    }
    const last = i === parts.length - 1;
    if (stat.isSymbolicLink()) {
      if (++state.links > MAX_LINKS) return void state.problems.push(`${path} leads through more than ${MAX_LINKS} symbolic links`);
      const owner = ownerProblem(next, stat, state.uid);
      if (owner) state.problems.push(owner);
      const link = readlinkSync(next);
      const target = isAbsolute(link) ? link : `${current}/${link}`;
      const before = state.problems.length;
      walk(target, state);
      for (let j = before; j < state.problems.length; j++) {
        if (!state.problems[j]!.includes('(reached through')) state.problems[j] += ` (reached through the symbolic link ${next})`;
      }
      try {
        current = realpathSync(target); // every link on the way was just checked
      } catch {
        return; // a dangling link or a loop: the reader reports it
      }
      continue;
    }
    problemWith(next, stat, state);
    if (!last && !stat.isDirectory()) return; // ENOTDIR: the reader reports it
    current = next;
  }
}

function problemWith(path: string, stat: Stats, state: Walk): void {
  const owner = ownerProblem(path, stat, state.uid);
  if (owner) state.problems.push(owner);
  const mode = stat.mode;
  const sticky = stat.isDirectory() && (mode & 0o1000) !== 0;
  if (mode & 0o022 && !sticky) {
    const who = mode & 0o002 ? 'others' : 'its group';
    state.problems.push(`${path} is writable by ${who} (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run chmod go-w on it`);
  }
}

function ownerProblem(path: string, stat: Stats, uid: number): string | undefined {
  if (stat.uid === 0 || stat.uid === uid) return undefined;
  return `${path} is owned by ${userName(stat.uid)}, not by root or the user running migseal (${userName(uid)}), so its owner could swap it; run chown on it`;
}

function runningUid(): number {
  return process.geteuid?.() ?? 0;
}

// "user nobody (uid 65534)" from /etc/passwd when it names the uid; the uid alone otherwise.
function userName(uid: number): string {
  try {
    const line = readFileSync('/etc/passwd', 'latin1')
      .split('\n')
      .find((l) => l.split(':')[2] === String(uid));
    const name = line?.split(':')[0];
    if (name) return `user ${name} (uid ${uid})`;
  } catch {
    /* no passwd file: the uid is enough */
  }
  return `uid ${uid}`;
}
