/**
 * Compares the migrations of two releases by key (version; name for repeatables): added,
 * removed, changed (script bytes or run flags differ), renamed (same bytes, new name) and
 * moved (their order relative to the migrations both releases hold changed).
 */
import type { ManifestFile, ManifestMigration } from '../format/manifest.js';
import { sha256Hex } from '../format/digest.js';
import { migrationScript } from '../format/migration-script.js';
import { movedKeys } from './moved.js';

/** A migration's identity across releases, as the manifest and apply's history key it: its version, a repeatable's name. */
const migrationKey = (m: ManifestMigration): string => (m.repeatable ? `R:${m.name}` : m.version);

export interface FileVersion {
  path: string;
  sha256: string;
  size: number;
}

/** One script of a changed migration; `old` or `new` is absent when the script was added or dropped. */
export interface ScriptChange {
  /** "up", "down", or "up+down" for layouts that keep both directions in one file (dbmate). */
  script: 'up' | 'down' | 'up+down';
  old?: FileVersion;
  new?: FileVersion;
}

export interface FlagChange {
  flag: 'transactional' | 'runner' | 'sections';
  old: unknown;
  new: unknown;
}

export interface MigrationRef {
  version: string;
  name: string;
  repeatable?: true;
}

export interface ChangedMigration extends MigrationRef {
  oldName?: string;
  scripts: ScriptChange[];
  flags: FlagChange[];
  /** The bytes of the up script changed: a database that ran it refuses the new release (MIGRATION_DRIFT). */
  upChanged: boolean;
}

export interface RenamedMigration extends MigrationRef {
  oldName: string;
  oldPaths: string[];
  newPaths: string[];
}

export interface MovedMigration extends MigrationRef {
  oldPosition: number;
  newPosition: number;
}

export interface MigrationsDiff {
  added: Array<MigrationRef & { position: number; beforeReleased?: string }>;
  removed: MigrationRef[];
  changed: ChangedMigration[];
  renamed: RenamedMigration[];
  moved: MovedMigration[];
}

export interface MigrationSide {
  migrations: readonly ManifestMigration[];
  files: readonly ManifestFile[];
  bytes: ReadonlyMap<string, Buffer>;
}

export function diffMigrations(before: MigrationSide, after: MigrationSide): MigrationsDiff {
  const oldByKey = new Map(before.migrations.map((m) => [migrationKey(m), m]));
  const newByKey = new Map(after.migrations.map((m) => [migrationKey(m), m]));
  const oldFiles = new Map(before.files.map((f) => [f.path, f]));
  const newFiles = new Map(after.files.map((f) => [f.path, f]));
  const result: MigrationsDiff = { added: [], removed: [], changed: [], renamed: [], moved: [] };

  for (const [key, m] of oldByKey) if (!newByKey.has(key)) result.removed.push(ref(m));
  for (const [key, m] of newByKey) {
    const old = oldByKey.get(key);
    if (!old) continue;
    const scripts = scriptChanges(old, m, oldFiles, newFiles);
    const flags = flagChanges(old, m);
    if (scripts.length > 0 || flags.length > 0) {
      result.changed.push({ ...ref(m), ...(old.name !== m.name && { oldName: old.name }), scripts, flags, upChanged: upChanged(old, m, before.bytes, after.bytes) });
    } else if (old.name !== m.name || old.up !== m.up || old.down !== m.down) {
      result.renamed.push({ ...ref(m), oldName: old.name, oldPaths: paths(old), newPaths: paths(m) });
    }
  }

  // Added migrations ordered before one both releases hold run out of order where that one ran.
  const newKeys = after.migrations.map(migrationKey);
  after.migrations.forEach((m, index) => {
    if (oldByKey.has(newKeys[index]!)) return;
    const later = m.repeatable ? undefined : after.migrations.slice(index + 1).find((l) => !l.repeatable && oldByKey.has(migrationKey(l)));
    result.added.push({ ...ref(m), position: index + 1, ...(later && { beforeReleased: later.version }) });
  });

  const oldKeys = before.migrations.map(migrationKey);
  const common = (keys: string[], other: Map<string, unknown>) => keys.filter((k) => other.has(k));
  for (const key of movedKeys(common(oldKeys, newByKey), common(newKeys, oldByKey))) {
    result.moved.push({ ...ref(newByKey.get(key)!), oldPosition: oldKeys.indexOf(key) + 1, newPosition: newKeys.indexOf(key) + 1 });
  }
  return result;
}

function ref(m: ManifestMigration): MigrationRef {
  return { version: m.version, name: m.name, ...(m.repeatable && { repeatable: true as const }) };
}

function paths(m: ManifestMigration): string[] {
  return [...new Set([m.up, m.down])].filter((p): p is string => p !== undefined);
}

function scriptChanges(old: ManifestMigration, now: ManifestMigration, oldFiles: Map<string, ManifestFile>, newFiles: Map<string, ManifestFile>): ScriptChange[] {
  const oneFile = (m: ManifestMigration) => m.down !== undefined && m.down === m.up;
  const version = (files: Map<string, ManifestFile>, path: string | undefined): FileVersion | undefined => {
    const f = path === undefined ? undefined : files.get(path);
    return f && { path: f.path, sha256: f.sha256, size: f.size };
  };
  const compare = (script: ScriptChange['script'], a: FileVersion | undefined, b: FileVersion | undefined): ScriptChange[] =>
    a?.sha256 === b?.sha256 ? [] : [{ script, ...(a && { old: a }), ...(b && { new: b }) }];
  if (oneFile(old) && oneFile(now)) return compare('up+down', version(oldFiles, old.up), version(newFiles, now.up));
  return [...compare('up', version(oldFiles, old.up), version(newFiles, now.up)), ...compare('down', version(oldFiles, old.down), version(newFiles, now.down))];
}

function flagChanges(old: ManifestMigration, now: ManifestMigration): FlagChange[] {
  const changes: FlagChange[] = [];
  if (old.transactional !== now.transactional) changes.push({ flag: 'transactional', old: old.transactional, new: now.transactional });
  if ((old.runner ?? 'sql') !== (now.runner ?? 'sql')) changes.push({ flag: 'runner', old: old.runner ?? 'sql', new: now.runner ?? 'sql' });
  if (old.sections !== now.sections) changes.push({ flag: 'sections', old: old.sections ?? null, new: now.sections ?? null });
  return changes;
}

/** Compares the up script as apply checksums it (for dbmate, the up section alone). */
function upChanged(old: ManifestMigration, now: ManifestMigration, oldBytes: ReadonlyMap<string, Buffer>, newBytes: ReadonlyMap<string, Buffer>): boolean {
  const checksum = (m: ManifestMigration, bytes: ReadonlyMap<string, Buffer>): string => {
    try {
      return sha256Hex(migrationScript(m, 'up', bytes));
    } catch {
      return `file:${sha256Hex((m.up === undefined ? undefined : bytes.get(m.up)) ?? Buffer.alloc(0))}`;
    }
  };
  return checksum(old, oldBytes) !== checksum(now, newBytes);
}
