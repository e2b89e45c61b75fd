/**
 * Checks that the files in the archive are exactly the files the manifest names: nothing
 * added, nothing missing, nothing renamed.
 */
import { MigsealError } from '../errors.js';
import type { Manifest } from './manifest.js';

export function checkFileSet(files: ReadonlyMap<string, Buffer>, manifest: Manifest): void {
  const named = new Set(manifest.files.map((f) => f.path));
  const extra = [...files.keys()].filter((p) => !named.has(p));
  const missing = [...named].filter((p) => !files.has(p));
  if (extra.length === 0 && missing.length === 0) return;
  const parts = [
    extra.length ? `holds ${list(extra)} which the manifest does not name` : '',
    missing.length ? `lacks ${list(missing)} which the manifest names` : '',
  ].filter(Boolean);
  throw new MigsealError('FILE_SET_MISMATCH', `The bundle ${parts.join(' and ')}.`, { details: { extra, missing } });
}

function list(paths: string[]): string {
  const shown = paths.slice(0, 3).map((p) => `files/${p}`).join(', ');
  return paths.length > 3 ? `${shown} and ${paths.length - 3} more` : shown;
}
