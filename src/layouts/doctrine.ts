/**
 * Doctrine Migrations: `Version<YYYYMMDDHHMMSS>.php` classes. PHP code decides its SQL at run
 * time, so migseal never runs these: they are packed and verified as files, marked
 * `runner: "native"` (apply refuses them) and handed to Doctrine itself by `migseal exec`.
 * Other PHP files (a shared base class, migrations.php configuration) and Doctrine's
 * configuration files travel with them. Doctrine orders versions by class name.
 */
import type { ManifestMigration } from '../format/manifest.js';
import type { FolderListing, Layout, LayoutResult } from './layout.js';
import { isIgnorable, layoutError } from './errors.js';

const LAYOUT = 'doctrine';
const VERSION = /^Version([0-9]+)(?:_?([A-Za-z0-9_]*))\.php$/;
const CONFIG = /^(migrations|migrations-db|cli-config)\.(php|ya?ml|xml|json)$/;

export const doctrine: Layout = {
  name: LAYOUT,
  detect: (listing) => listing.paths.some((p) => VERSION.test(base(p))),
  read(listing: FolderListing): LayoutResult {
    const migrations: Array<ManifestMigration & { up: string }> = [];
    const support: string[] = [];
    const versions = new Map<string, string>();
    for (const path of listing.paths) {
      if (isIgnorable(path)) continue;
      const m = VERSION.exec(base(path));
      if (!m) {
        if (path.endsWith('.php') || CONFIG.test(base(path))) support.push(path);
        else throw layoutError(LAYOUT, path, 'not part of a Doctrine migrations folder; expected Version<timestamp>.php classes, PHP files and Doctrine configuration');
        continue;
      }
      const version = m[1]!;
      const other = versions.get(version);
      if (other) throw layoutError(LAYOUT, path, `duplicate version ${version} (also ${other})`);
      versions.set(version, path);
      migrations.push({ version, name: m[2] || `Version${version}`, up: path, transactional: true, runner: 'native' });
    }
    migrations.sort((a, b) => compare(base(a.up), base(b.up)));
    return { migrations, files: [...support, ...migrations.map((m) => m.up)] };
  },
};

function base(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
