/**
 * The order of a rollout: the canary targets first (the first --canary of the file's order),
 * then waves of --wave targets. The rollout starts a wave only when every target of the one
 * before it is up to date.
 */
import { MigsealError } from '../errors.js';

export interface WavePlan<T> {
  /** Waves in order; the first is the canary when `canary` > 0. */
  waves: T[][];
  canary: number;
}

export const DEFAULT_CANARY = 1;
export const DEFAULT_WAVE = 10;

export function planWaves<T>(targets: readonly T[], canary: number, wave: number): WavePlan<T> {
  if (!Number.isSafeInteger(canary) || canary < 0) throw new MigsealError('USAGE', `--canary takes a number of targets (0 or more), not ${canary}.`);
  if (!Number.isSafeInteger(wave) || wave < 1) throw new MigsealError('USAGE', `--wave takes a number of targets (1 or more), not ${wave}.`);
  const head = Math.min(canary, targets.length);
  const waves: T[][] = head > 0 ? [targets.slice(0, head)] : [];
  for (let at = head; at < targets.length; at += wave) waves.push(targets.slice(at, at + wave));
  return { waves, canary: head };
}

/** A count flag's value: digits only. */
export function countFlag(value: unknown, flag: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const text = String(value);
  const n = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw new MigsealError('USAGE', `--${flag} takes a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}, not "${text}".`);
  return n;
}
