/**
 * The database's release, as an operator means it: the newest release whose migrations are all
 * applied. A release whose run failed part-way is not the database's release; it is shown as
 * partly applied ("release 3: 1 of 2 applied, 1 dirty"). Pure: computed from the history rows
 * (each records the release that applied it) and the release marker, which a run writes only
 * with its last migration.
 */
import { compareReleases } from '../format/release-version.js';
import { isInSchema, type History, type ReleaseMarker } from './history.js';

export interface PartialRelease {
  release: string;
  bundleDigest: string;
  applied: string[];
  dirty: string[];
  /** How many migrations the release adds here, when the bundle is at hand. */
  total: number | undefined;
}

export interface ReleaseState {
  /** The newest release wholly applied; undefined when none is (or, for a database an older migseal left, unknown). */
  complete: ReleaseMarker | undefined;
  /** A newer release started and not finished. */
  partial: PartialRelease | undefined;
}

/** `bundle`: the release at hand (status --bundle, audit) gives the exact count of what it adds. */
export function releaseState(history: History, bundle?: { release: string; versions: readonly string[] }): ReleaseState {
  const marker = history.marker;
  const newer = history.migrations.filter((m) => m.state === 'dirty' || (isInSchema(m) && (!marker || compareReleases(m.release, marker.release) > 0)));
  // A marker whose own release left a dirty row was written before it finished (older runners wrote it first).
  const markerUnfinished = marker !== undefined && history.migrations.some((m) => m.state === 'dirty' && m.release === marker.release);
  const newest = newer.map((m) => m.release).sort(compareReleases).at(-1);
  if (newest === undefined) return { complete: marker, partial: undefined };
  const rows = newer.filter((m) => m.release === newest);
  const applied = rows.filter(isInSchema).map((m) => m.version);
  const dirty = rows.filter((m) => m.state === 'dirty').map((m) => m.version);
  const total = bundle && bundle.release === newest ? countAdded(history, newest, bundle.versions) : undefined;
  return {
    complete: markerUnfinished ? undefined : marker,
    partial: { release: newest, bundleDigest: rows[0]!.bundleDigest, applied, dirty, total },
  };
}

/** The bundle's migrations that were not applied here by an earlier release. */
function countAdded(history: History, release: string, versions: readonly string[]): number {
  const earlier = new Set(history.migrations.filter((m) => isInSchema(m) && m.release !== release).map((m) => m.version));
  return versions.filter((v) => !earlier.has(v)).length;
}

/** "release 3: 1 of 2 applied, 1 dirty", or without the bundle "release 3: partly applied (1 applied, 1 dirty)". */
export function describePartial(p: PartialRelease): string {
  const dirty = p.dirty.length > 0 ? `, ${p.dirty.length} dirty` : '';
  return p.total === undefined ? `release ${p.release}: partly applied (${p.applied.length} applied${dirty})` : `release ${p.release}: ${p.applied.length} of ${p.total} applied${dirty}`;
}

