/** Which scripts an analysis reads, in one fixed order: what a worker's one buffer of them holds. */
import type { ManifestMigration } from '../format/manifest.js';

/** Each migration's up and down script, but a native migration's (it is not analysed). */
export function scriptPaths(migrations: readonly ManifestMigration[]): string[] {
  const paths: string[] = [];
  for (const m of migrations) {
    if (m.runner === 'native') continue;
    if (m.up !== undefined) paths.push(m.up);
    if (m.down !== undefined) paths.push(m.down);
  }
  return paths;
}
