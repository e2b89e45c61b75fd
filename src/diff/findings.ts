/**
 * Compares the analysis findings signed into two manifests. A finding is matched by rule,
 * file, statement, severity and suppression, not by line, so an edit above it does not make
 * it look new; repeated findings are counted.
 */
import type { ManifestFinding } from '../format/manifest.js';

export interface FindingsDiff {
  added: ManifestFinding[];
  removed: ManifestFinding[];
}

export function diffFindings(before: readonly ManifestFinding[], after: readonly ManifestFinding[]): FindingsDiff {
  return { added: without(after, before), removed: without(before, after) };
}

function key(f: ManifestFinding): string {
  return JSON.stringify([f.rule, f.file, f.severity, f.statement ?? f.message, f.suppressed ?? null]);
}

function without(these: readonly ManifestFinding[], those: readonly ManifestFinding[]): ManifestFinding[] {
  const counts = new Map<string, number>();
  for (const f of those) counts.set(key(f), (counts.get(key(f)) ?? 0) + 1);
  return these.filter((f) => {
    const n = counts.get(key(f)) ?? 0;
    if (n === 0) return true;
    counts.set(key(f), n - 1);
    return false;
  });
}
