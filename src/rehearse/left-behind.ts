/**
 * What one down script failed to undo. After the down script of migration i, the schema
 * should be the one before its up script; what differs, less what a newer down script had
 * already left (still there), is this one's doing.
 */
import { compareFingerprints, objectKey, objectLabel, type FingerprintDifference, type SchemaFingerprint } from '../fingerprint/index.js';

export function newDifference(expected: SchemaFingerprint, actual: SchemaFingerprint, earlier: FingerprintDifference | undefined): FingerprintDifference {
  const full = compareFingerprints(expected, actual);
  if (!earlier) return full;
  const seen = new Set([...earlier.added, ...earlier.removed].map((o) => `${objectKey(o)}\u0000${o.definition}`).concat(earlier.changed.map((c) => `${objectKey(c)}\u0000${c.after}`)));
  return {
    added: full.added.filter((o) => !seen.has(`${objectKey(o)}\u0000${o.definition}`)),
    removed: full.removed.filter((o) => !seen.has(`${objectKey(o)}\u0000${o.definition}`)),
    changed: full.changed.filter((c) => !seen.has(`${objectKey(c)}\u0000${c.after}`)),
  };
}

/** "left behind table public.t3; dropped index t2_v (there before)": the objects named. */
export function describeLeftBehind(d: FingerprintDifference, named = 5): string {
  const items = [
    ...d.added.map((o) => `left behind ${objectLabel(o)}`),
    ...d.removed.map((o) => `removed ${objectLabel(o)}, which was there before`),
    ...d.changed.map((c) => `left ${objectLabel(c)} changed (${JSON.stringify(c.before)} → ${JSON.stringify(c.after)})`),
  ];
  return `${items.slice(0, named).join('; ')}${items.length > named ? `; and ${items.length - named} more` : ''}`;
}
