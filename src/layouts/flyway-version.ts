/** Flyway's version rule: numbers separated by `.` or `_`, compared part by part, missing parts as 0. */
export interface FlywayVersion {
  /** The version as Flyway shows it, underscores read as dots. */
  text: string;
  parts: bigint[];
}

export function flywayVersion(raw: string): FlywayVersion | undefined {
  const text = raw.replace(/_/g, '.');
  if (!/^[0-9]+(\.[0-9]+)*$/.test(text)) return undefined;
  return { text, parts: text.split('.').map((p) => BigInt(p)) };
}

export function compareFlywayVersions(a: readonly bigint[], b: readonly bigint[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0n;
    const y = b[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
