/** Compares what two manifests say about the release itself: identity, target, provenance and expiry. */
import type { Manifest } from '../format/manifest.js';

export interface FieldChange {
  field: string;
  old: string | boolean | null;
  new: string | boolean | null;
}

const FIELDS: Array<[string, (m: Manifest) => string | boolean | undefined]> = [
  ['project', (m) => m.project],
  ['release', (m) => m.release],
  ['dialect', (m) => m.dialect],
  ['layout', (m) => m.layout],
  ['createdAt', (m) => m.createdAt],
  ['expiresAt', (m) => m.expiresAt],
  ['source.repository', (m) => m.source.repository],
  ['source.commit', (m) => m.source.commit],
  ['source.dirty', (m) => m.source.dirty],
  ['builder.id', (m) => m.builder.id],
  ['analysis', (m) => m.analysis && `${m.analysis.tool} (${m.analysis.dialect})`],
];

export function diffReleaseFields(before: Manifest, after: Manifest): FieldChange[] {
  return FIELDS.flatMap(([field, read]) => {
    const old = read(before) ?? null;
    const now = read(after) ?? null;
    return old === now ? [] : [{ field, old, new: now }];
  });
}
