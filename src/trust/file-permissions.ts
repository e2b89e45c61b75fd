import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Why a trust file cannot be trusted, as ssh judges its own files: the file, or any folder
 * above it, is writable by group or others, so someone else could swap the keys. A sticky
 * folder such as /tmp is fine: others cannot replace what they do not own.
 * Returns undefined when the path is safe.
 */
export function insecurePermissions(path: string): string | undefined {
  let current = resolve(path);
  for (;;) {
    const problem = writableByOthers(current);
    if (problem) return problem;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

function writableByOthers(path: string): string | undefined {
  let mode: number;
  let sticky: boolean;
  try {
    const stat = statSync(path);
    mode = stat.mode;
    sticky = stat.isDirectory() && (mode & 0o1000) !== 0;
  } catch {
    return undefined; // a missing file is reported by whoever reads it
  }
  if (mode & 0o022 && !sticky) {
    const who = mode & 0o002 ? 'others' : 'its group';
    return `${path} is writable by ${who} (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run chmod go-w on it`;
  }
  return undefined;
}
