/**
 * Atlas: `<version>[_<name>].sql` files applied in file-name order, and atlas.sum, the hash chain
 * Atlas keeps over them. Pack refuses a folder whose atlas.sum does not match its files, naming
 * the first file that differs, and carries atlas.sum in the bundle so the folder stays valid
 * for Atlas. A file whose header says `-- atlas:txmode none` runs without a transaction.
 */
import type { ManifestMigration } from '../format/manifest.js';
import type { FolderListing, Layout, LayoutResult } from './layout.js';
import { isIgnorable, layoutError } from './errors.js';
import { atlasSumLines, atlasSumTotal, parseAtlasSum } from './atlas-sum.js';

const LAYOUT = 'atlas';
const SUM = 'atlas.sum';

export const atlas: Layout = {
  name: LAYOUT,
  detect: (listing) => listing.paths.includes(SUM) && !listing.paths.some((p) => /\.(up|down)\.sql$/.test(p)),
  read(listing: FolderListing): LayoutResult {
    const sqlFiles: string[] = [];
    for (const path of listing.paths) {
      if (path === SUM || isIgnorable(path)) continue;
      if (path.includes('/') || !path.endsWith('.sql')) throw layoutError(LAYOUT, path, 'not a migration file; Atlas reads <version>_<name>.sql files in the top folder');
      sqlFiles.push(path);
    }
    if (!listing.paths.includes(SUM)) throw layoutError(LAYOUT, SUM, 'missing; Atlas folders carry atlas.sum (run atlas migrate hash)');
    checkSum(listing, sqlFiles);

    const migrations: ManifestMigration[] = [];
    const versions = new Map<string, string>();
    for (const path of [...sqlFiles].sort()) {
      const stem = path.slice(0, -'.sql'.length);
      const cut = stem.indexOf('_');
      const version = cut < 0 ? stem : stem.slice(0, cut);
      const other = versions.get(version);
      if (other) throw layoutError(LAYOUT, path, `duplicate version ${version} (also ${other})`);
      versions.set(version, path);
      const txmode = fileDirective(listing.read(path).toString('latin1'), 'txmode');
      if (txmode !== undefined && !['none', 'file', 'all'].includes(txmode)) throw layoutError(LAYOUT, path, `unknown atlas:txmode "${txmode}"; expected none, file or all`);
      migrations.push({ version, name: cut < 0 ? stem : stem.slice(cut + 1), up: path, transactional: txmode !== 'none' });
    }
    return { migrations, files: [SUM, ...sqlFiles] };
  },
};

function checkSum(listing: FolderListing, sqlFiles: string[]): void {
  const recorded = parseAtlasSum(listing.read(SUM).toString('utf8'));
  if (!recorded) throw layoutError(LAYOUT, SUM, 'not in the atlas.sum format (first line h1:<sum>, then one "<file> h1:<hash>" line per file)');
  if (recorded.total !== atlasSumTotal(recorded.lines)) throw layoutError(LAYOUT, SUM, 'its first line does not match the lines below it; the file was edited by hand');
  const computed = atlasSumLines(sqlFiles.map((name) => ({ name, bytes: listing.read(name) })));
  const count = Math.max(computed.length, recorded.lines.length);
  for (let i = 0; i < count; i++) {
    const want = recorded.lines[i];
    const got = computed[i];
    if (want?.name === got?.name && want?.hash === got?.hash) continue;
    const file = got && !recorded.lines.some((l) => l.name === got.name) ? got.name : (want?.name ?? got!.name);
    const rule = !got
      ? 'listed in atlas.sum but missing from the folder'
      : !recorded.lines.some((l) => l.name === got.name)
        ? 'not listed in atlas.sum'
        : 'its contents do not match atlas.sum (edited after atlas migrate hash?)';
    throw layoutError(LAYOUT, file, `${rule}; pack refuses a folder whose atlas.sum does not match its files`);
  }
}

/** A file-level directive: header comment lines followed by a blank line, as Atlas reads them. */
function fileDirective(content: string, name: string): string | undefined {
  const comments: string[] = [];
  let rest = content;
  while (rest.startsWith('#') || rest.startsWith('--')) {
    const nl = rest.indexOf('\n');
    if (nl < 0) return undefined; // a comments-only file has no file directives
    comments.push(rest.slice(0, nl).trim());
    rest = rest.slice(nl + 1);
  }
  if (!rest.startsWith('\n')) return undefined;
  for (const c of comments) {
    const m = /^([ -~]*)atlas:(\w+)(?: +([ -~]*))*/.exec(c);
    if (m && m[2] === name) return m[3] ?? '';
  }
  return undefined;
}
