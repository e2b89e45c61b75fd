/**
 * Release versions are dot-separated non-negative integers ("42", "2026.11.3").
 * They are totally ordered component by component, numerically; a missing component
 * counts as 0, so "7" and "7.0" are the same release. Leading zeros are refused so each
 * release has one spelling.
 */
const RELEASE_PATTERN = /^(0|[1-9][0-9]{0,14})(\.(0|[1-9][0-9]{0,14})){0,7}$/;

export function isReleaseVersion(value: string): boolean {
  return RELEASE_PATTERN.test(value);
}

export function compareReleases(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
