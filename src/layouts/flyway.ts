/**
 * Flyway: `V<version>__<description>.sql` versioned migrations, `U<version>__…` undo scripts (our
 * down), `R__<description>.sql` repeatables (re-applied when their checksum changes, after all
 * versioned ones, ordered by description), and optional `<script>.conf` files where
 * `executeInTransaction=false` turns the transaction off. Versions are dotted numbers (`_` reads
 * as `.`), compared part by part as integers, so 1.2 < 1.10 and 1.0 equals 1. Flyway scans
 * sub-folders, so scripts may sit anywhere in the tree. Names are read as Flyway's
 * ResourceNameParser reads them: the description may be empty (`V1.sql`, `V1__.sql`); a `.sql`
 * file whose name Flyway does not recognise is skipped by Flyway ("detected but not run"), so it
 * is carried, never run, and pack names it; a callback script (`afterMigrate.sql`, …), which
 * Flyway runs around its commands, is refused: migseal does not run callbacks.
 */
import type { ManifestMigration } from '../format/manifest.js';
import type { FolderListing, Layout, LayoutResult } from './layout.js';
import { isIgnorable, layoutError } from './errors.js';
import { needsNoTransaction } from '../lint/transaction-mode.js';
import { compareFlywayVersions, flywayVersion } from './flyway-version.js';

const LAYOUT = 'flyway';
const SCRIPT = /^([VUR])(.*?)(?:__(.*))?\.sql$/;
/** Flyway's callback events (org.flywaydb.core.api.callback.Event): scripts named after them are callbacks. */
const CALLBACK = /^(before|after)[A-Za-z]*(__.*)?\.sql$|^(createSchema|beforeCreateSchema)(__.*)?\.sql$/;

interface Versioned {
  version: string;
  parts: bigint[];
  description: string;
  up?: string;
  down?: string;
}

export const flyway: Layout = {
  name: LAYOUT,
  detect: (listing) => listing.paths.some((p) => SCRIPT.test(base(p))),
  read(listing: FolderListing): LayoutResult {
    const versioned: Versioned[] = [];
    const repeatables = new Map<string, string>();
    const confs = new Set<string>();
    const carried: string[] = [];
    const notices: string[] = [];
    const skip = (path: string, why: string): void => {
      carried.push(path);
      notices.push(`${path}: ${why}; Flyway detects it but does not run it, so migseal carries it and never runs it`);
    };
    for (const path of listing.paths) {
      if (isIgnorable(path)) continue;
      if (path.endsWith('.sql.conf')) {
        confs.add(path);
        continue;
      }
      if (!path.endsWith('.sql')) {
        carried.push(path);
        continue;
      }
      if (CALLBACK.test(base(path))) throw layoutError(LAYOUT, path, 'a Flyway callback script, which Flyway runs around its commands; migseal does not run callbacks, so move it out of the folder or run it with Flyway');
      const m = SCRIPT.exec(base(path));
      if (!m) {
        skip(path, 'unrecognised migration name format');
        continue;
      }
      const [, prefix, rawVersion, rawDescription] = m as unknown as [string, 'V' | 'U' | 'R', string, string | undefined];
      // Without a separator the whole name is the version (V1.sql) and the description is empty.
      // Flyway reads underscores in a description as spaces, and compares repeatables by that text.
      const description = (rawDescription ?? '').replace(/_/g, ' ');
      if (prefix === 'R') {
        if (rawVersion !== '' || rawDescription === undefined) {
          skip(path, 'invalid repeatable migration name format (it cannot contain a version: R__<description>.sql)');
          continue;
        }
        const other = repeatables.get(description);
        if (other) throw layoutError(LAYOUT, path, `duplicate repeatable migration "${description}" (also ${other})`);
        repeatables.set(description, path);
        continue;
      }
      const parsed = flywayVersion(rawVersion);
      if (!parsed) {
        skip(path, `invalid versioned migration name format (could not recognise version number "${rawVersion}")`);
        continue;
      }
      let entry = versioned.find((v) => compareFlywayVersions(v.parts, parsed.parts) === 0);
      if (!entry) {
        entry = { version: parsed.text, parts: parsed.parts, description };
        versioned.push(entry);
      }
      const slot = prefix === 'V' ? 'up' : 'down';
      if (entry[slot]) throw layoutError(LAYOUT, path, `duplicate version ${parsed.text} (also ${entry[slot]}); Flyway refuses more than one migration with one version`);
      entry[slot] = path;
      if (prefix === 'V') entry.description = description;
    }
    const scripts = new Set<string>();
    const migrations: ManifestMigration[] = [];
    const files: string[] = [];
    for (const v of versioned.sort((a, b) => compareFlywayVersions(a.parts, b.parts))) {
      if (!v.up) throw layoutError(LAYOUT, v.down!, `an undo script without a versioned migration V${v.version}`);
      migrations.push({ version: v.version, name: v.description, up: v.up, ...(v.down && { down: v.down }), transactional: transactional(listing, v.up, confs) });
      files.push(v.up, ...(v.down ? [v.down] : []));
      scripts.add(v.up).add(v.down ?? v.up);
    }
    for (const description of [...repeatables.keys()].sort()) {
      const path = repeatables.get(description)!;
      migrations.push({ version: 'R', name: description, up: path, transactional: transactional(listing, path, confs), repeatable: true });
      files.push(path);
      scripts.add(path);
    }
    for (const conf of confs) {
      if (!scripts.has(conf.slice(0, -'.conf'.length))) throw layoutError(LAYOUT, conf, 'a script configuration without its script');
      files.push(conf);
    }
    files.push(...carried);
    return { migrations, files, ...(notices.length > 0 && { notices }) };
  },
};

function base(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The script's .conf decides when present; otherwise Flyway runs it in a transaction unless a statement cannot. */
function transactional(listing: FolderListing, script: string, confs: Set<string>): boolean {
  const conf = `${script}.conf`;
  if (!confs.has(conf)) return !needsNoTransaction(listing.read(script).toString('utf8'));
  let value: boolean | undefined;
  listing
    .read(conf)
    .toString('utf8')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith('!')) return;
      const m = /^([A-Za-z]+)\s*[=:]\s*(.*)$/.exec(line);
      if (!m) throw layoutError(LAYOUT, conf, `line ${i + 1}: expected key=value`);
      const [, key, v] = m as unknown as [string, string, string];
      if (key === 'executeInTransaction' && (v === 'true' || v === 'false')) value = v === 'true';
      else if (key === 'encoding' && /^utf-?8$/i.test(v)) return;
      else throw layoutError(LAYOUT, conf, `line ${i + 1}: only executeInTransaction=true|false and encoding=UTF-8 are understood`);
    });
  return value ?? !needsNoTransaction(listing.read(script).toString('utf8'));
}
