/**
 * What changed between two releases, as data: the release's own fields, signers, migrations,
 * files and analysis findings, and the alerts a reviewer must see first. Pure: it takes two
 * releases already read (claimed or verified, see read-release.ts) and touches nothing.
 */
import { compareReleases } from '../format/release-version.js';
import { diffFiles, type FilesDiff } from './files.js';
import { diffFindings, type FindingsDiff } from './findings.js';
import { diffMigrations, type ChangedMigration, type MigrationRef, type MigrationsDiff } from './migrations.js';
import { addedScriptPatch, scriptPatch, type ScriptPatch } from './patch.js';
import { diffReleaseFields, type FieldChange } from './release-fields.js';
import type { ReleaseSide } from './read-release.js';
import { diffSigners, type SignersDiff } from './signers.js';

export { readClaimedRelease, readVerifiedRelease, type ReleaseSide, type ReleaseSigner } from './read-release.js';

/** Stable kinds for machines; the first two mean already-released history was rewritten. */
export type AlertKind =
  | 'changed-after-release'
  | 'removed-after-release'
  | 'added-before-released'
  | 'moved'
  | 'release-not-newer'
  | 'same-release-other-contents'
  | 'other-project';

export interface Alert {
  kind: AlertKind;
  message: string;
  version?: string;
}

export interface ReleaseRef {
  project: string;
  release: string;
  digest: string;
  verified: boolean;
  /** Verified, but past its signed expiry: why a host would refuse to apply it. */
  stale?: string;
}

export interface ReleaseDiff {
  old: ReleaseRef;
  new: ReleaseRef;
  /** Both manifests are byte for byte the same (signatures may still differ). */
  sameRelease: boolean;
  /** How NEW's release version compares with OLD's. */
  direction: 'newer' | 'same' | 'older';
  alerts: Alert[];
  fields: FieldChange[];
  signers: SignersDiff;
  migrations: MigrationsDiff;
  files: FilesDiff;
  findings: FindingsDiff;
  /** Unified diffs of changed scripts, then the whole text of added migrations' scripts (`added: true`); only when asked for. */
  patches?: Array<{ version: string; script: string; patch: ScriptPatch; added?: true }>;
}

export function diffReleases(before: ReleaseSide, after: ReleaseSide, options: { patch?: boolean } = {}): ReleaseDiff {
  const a = before.manifest;
  const b = after.manifest;
  const order = compareReleases(b.release, a.release);
  const migrations = diffMigrations({ migrations: a.migrations, files: a.files, bytes: before.files }, { migrations: b.migrations, files: b.files, bytes: after.files });
  const diff: ReleaseDiff = {
    old: ref(before),
    new: ref(after),
    sameRelease: before.digest === after.digest,
    direction: order > 0 ? 'newer' : order < 0 ? 'older' : 'same',
    alerts: [],
    fields: diffReleaseFields(a, b),
    signers: diffSigners(before.signers, after.signers),
    migrations,
    files: diffFiles(a.files, b.files),
    findings: diffFindings(a.findings, b.findings),
  };
  diff.alerts = alertsFor(diff);
  if (options.patch) diff.patches = [...migrations.changed.flatMap((m) => patchesFor(m, before, after)), ...migrations.added.flatMap((m) => addedPatches(m, after))];
  return diff;
}

/** A release whose history was rewritten: a migration both hold changed. Repeatables re-run by design and do not count. */
export function changedAfterRelease(diff: ReleaseDiff): ChangedMigration[] {
  return diff.migrations.changed.filter((m) => !m.repeatable);
}

function ref(side: ReleaseSide): ReleaseRef {
  return { project: side.manifest.project, release: side.manifest.release, digest: side.digest, verified: side.verified, ...(side.stale && { stale: side.stale }) };
}

function alertsFor(diff: ReleaseDiff): Alert[] {
  const alerts: Alert[] = [];
  const { old: a, new: b } = diff;
  if (a.project !== b.project) alerts.push({ kind: 'other-project', message: `NEW is project ${b.project}, OLD is project ${a.project}: these are not two releases of one project` });
  if (diff.direction === 'older') alerts.push({ kind: 'release-not-newer', message: `NEW (release ${b.release}) is older than OLD (release ${a.release}): the arguments may be swapped` });
  if (diff.direction === 'same' && !diff.sameRelease) {
    alerts.push({ kind: 'same-release-other-contents', message: `both are release ${a.release}, but their manifests differ: two different bundles carry one release number` });
  }
  for (const m of changedAfterRelease(diff)) {
    const what = [...m.scripts.map((s) => `${s.script} script ${!s.old ? 'added' : !s.new ? 'dropped' : 'bytes'}`), ...m.flags.map((f) => `${f.flag} ${String(f.old)} → ${String(f.new)}`)];
    alerts.push({ kind: 'changed-after-release', version: m.version, message: `migration ${m.version} (${m.name}) was released in ${a.release} and changed in ${b.release}: ${what.join(', ')}` });
  }
  for (const m of diff.migrations.removed.filter((r) => !r.repeatable)) {
    alerts.push({ kind: 'removed-after-release', version: m.version, message: `migration ${m.version} (${m.name}) was released in ${a.release} and is missing from ${b.release}` });
  }
  for (const m of diff.migrations.added.filter((x) => x.beforeReleased !== undefined)) {
    alerts.push({ kind: 'added-before-released', version: m.version, message: `new migration ${m.version} (${m.name}) is ordered before the released ${m.beforeReleased}: databases that ran ${m.beforeReleased} refuse it as out of order` });
  }
  for (const m of diff.migrations.moved) {
    alerts.push({ kind: 'moved', version: m.version, message: `migration ${m.version} (${m.name}) moved from position ${m.oldPosition} to ${m.newPosition}` });
  }
  return alerts;
}

function patchesFor(m: ChangedMigration, before: ReleaseSide, after: ReleaseSide): NonNullable<ReleaseDiff['patches']> {
  return m.scripts.map((s) => ({
    version: m.version,
    script: s.script,
    patch: scriptPatch(s.old?.path, s.old && before.files.get(s.old.path), s.new?.path, s.new && after.files.get(s.new.path)),
  }));
}

/** What a reviewer must read of a new migration: each of its scripts, whole (bounded). */
function addedPatches(m: MigrationRef, after: ReleaseSide): NonNullable<ReleaseDiff['patches']> {
  const migration = after.manifest.migrations.find((x) => x.version === m.version && x.name === m.name && (x.repeatable === true) === (m.repeatable === true));
  if (!migration) return [];
  const scripts: Array<[string, string]> =
    migration.down !== undefined && migration.down === migration.up
      ? [['up+down', migration.down]]
      : [...(migration.up !== undefined ? [['up', migration.up] as [string, string]] : []), ...(migration.down !== undefined ? [['down', migration.down] as [string, string]] : [])];
  return scripts.map(([script, path]) => ({ version: m.version, script, patch: addedScriptPatch(path, after.files.get(path)), added: true as const }));
}
