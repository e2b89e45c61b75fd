/**
 * Durations as people write them in flags and policies: `500ms`, `10s`, `2m`, `1h`, or `0`
 * (no limit). A bare number is refused: PostgreSQL reads one as milliseconds, people as
 * seconds. Pure: text in, milliseconds out.
 */
const UNITS: Readonly<Record<string, number>> = Object.freeze({ ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 });

/** PostgreSQL's timeouts are an int of milliseconds. */
export const MAX_DURATION_MS = 2_147_483_647;

/** Milliseconds, or undefined when `text` is not a duration this reads. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const m = /^(\d{1,10}(?:\.\d{1,3})?)(ms|s|min|m|h)$/.exec(text);
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * UNITS[m[2]!]!);
  return Number.isSafeInteger(ms) && ms <= MAX_DURATION_MS ? ms : undefined;
}

/** `10s`, `1m 30s`…, for messages: the milliseconds back in the largest units that are exact. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0 (no limit)';
  for (const [unit, size] of [['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) if (ms % size === 0) return `${ms / size}${unit === 'min' ? 'm' : unit}`;
  return `${ms}ms`;
}

export const DURATION_FORMS = 'a duration like 500ms, 10s, 2m or 1h, or 0 for no limit';
