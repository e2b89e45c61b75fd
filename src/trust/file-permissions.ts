import { statSync } from 'node:fs';

/**
 * Why a trust file or folder cannot be trusted, as ssh judges its own files: writable by
 * group or others means anyone in that group could swap the keys. Returns undefined when fine.
 */
export function insecurePermissions(path: string): string | undefined {
  let mode: number;
  let sticky: boolean;
  try {
    const stat = statSync(path);
    mode = stat.mode;
    sticky = stat.isDirectory() && (mode & 0o1000) !== 0; // like /tmp: others cannot replace our files
  } catch {
    return undefined; // a missing file is reported by whoever reads it
  }
  if (mode & 0o022 && !sticky) {
    const who = mode & 0o002 ? 'others' : 'its group';
    return `${path} is writable by ${who} (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run chmod go-w on it`;
  }
  return undefined;
}
