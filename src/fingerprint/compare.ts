/** What changed between two fingerprints, object by object, in canonical order. */
import { objectKey, objectLabel, sortObjects, type ObjectKind, type SchemaFingerprint, type SchemaObject } from './canonical.js';
import { columnKey, explainedByColumns } from './sqlite-table-text.js';

export interface ChangedObject {
  kind: ObjectKind;
  schema?: string;
  name: string;
  before: string;
  after: string;
}

export interface FingerprintDifference {
  added: SchemaObject[];
  removed: SchemaObject[];
  changed: ChangedObject[];
}

export function compareFingerprints(before: Pick<SchemaFingerprint, 'objects'>, after: Pick<SchemaFingerprint, 'objects'>): FingerprintDifference {
  const old = new Map(before.objects.map((o) => [objectKey(o), o]));
  const now = new Map(after.objects.map((o) => [objectKey(o), o]));
  const added: SchemaObject[] = [];
  const removed: SchemaObject[] = [];
  const changed: ChangedObject[] = [];
  for (const o of sortObjects(after.objects)) {
    const was = old.get(objectKey(o));
    if (!was) added.push(o);
    else if (was.definition !== o.definition) changed.push({ kind: o.kind, ...(o.schema !== undefined && { schema: o.schema }), name: o.name, before: was.definition, after: o.definition });
  }
  for (const o of sortObjects(before.objects)) if (!now.has(objectKey(o))) removed.push(o);
  return { added, removed, changed: withoutColumnEdits(changed, [...added, ...removed, ...changed]) };
}

/**
 * SQLite's tables less those whose CREATE TABLE text changed only where a column reported
 * added, removed or changed is written: an ALTER TABLE ... ADD COLUMN is named once, as the
 * column. Only the report: the fingerprint and its hash still cover the text.
 */
function withoutColumnEdits(changed: ChangedObject[], differences: ReadonlyArray<Pick<SchemaObject, 'kind' | 'schema' | 'name'>>): ChangedObject[] {
  const columns = differences.filter((o) => o.kind === 'column' && o.schema === undefined);
  if (columns.length === 0) return changed;
  return changed.filter((c) => {
    if (c.kind !== 'table' || c.schema !== undefined) return true;
    const reported = new Set(columns.filter((o) => o.name.startsWith(`${c.name}.`)).map((o) => columnKey(o.name.slice(c.name.length + 1))));
    return reported.size === 0 || !explainedByColumns(c.before, c.after, reported);
  });
}

export const isSameSchema = (d: FingerprintDifference): boolean => d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;

/** One line for a message: the counts, and the first few objects named. */
export function summarizeDifference(d: FingerprintDifference, named = 3): string {
  const counts = [`${d.added.length} added`, `${d.removed.length} removed`, `${d.changed.length} changed`].join(', ');
  const items = [
    ...d.changed.map((c) => `changed ${objectLabel(c)} (${JSON.stringify(c.before)} → ${JSON.stringify(c.after)})`),
    ...d.added.map((o) => `added ${objectLabel(o)}`),
    ...d.removed.map((o) => `removed ${objectLabel(o)}`),
  ];
  const shown = items.slice(0, named).join('; ');
  return `${counts}: ${shown}${items.length > named ? `; and ${items.length - named} more` : ''}`;
}
