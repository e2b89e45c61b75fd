/** Compares the file lists of two manifests by path: added, removed, and the same path with other bytes. */
import type { ManifestFile } from '../format/manifest.js';

export interface FilesDiff {
  added: ManifestFile[];
  removed: ManifestFile[];
  changed: Array<{ path: string; old: ManifestFile; new: ManifestFile }>;
}

export function diffFiles(before: readonly ManifestFile[], after: readonly ManifestFile[]): FilesDiff {
  const oldByPath = new Map(before.map((f) => [f.path, f]));
  const newByPath = new Map(after.map((f) => [f.path, f]));
  return {
    added: after.filter((f) => !oldByPath.has(f.path)),
    removed: before.filter((f) => !newByPath.has(f.path)),
    changed: after.flatMap((f) => {
      const old = oldByPath.get(f.path);
      return old && old.sha256 !== f.sha256 ? [{ path: f.path, old, new: f }] : [];
    }),
  };
}
