import { MigsealError } from '../errors.js';

/** A malformed folder: names the file and the rule it breaks. */
export function layoutError(layout: string, file: string, rule: string): MigsealError {
  return new MigsealError('LAYOUT_INVALID', `${file}: ${rule} (${layout} layout).`, { details: { layout, file, rule } });
}

/** Files that are never migrations and are left out of every layout. */
export function isIgnorable(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.startsWith('.') || /^readme(\.[a-z]+)?$/i.test(base) || /\.(md|txt)$/i.test(base);
}
