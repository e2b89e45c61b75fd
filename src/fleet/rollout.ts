/**
 * Runs a wave plan: each wave's targets at most `parallel` at once, a wave only after the one
 * before it has finished. With `stopOnFailure` (apply), a failure anywhere in a wave lets the
 * wave's other targets finish, and no later wave starts: after the canary, that is nothing
 * else at all. What a target does is the caller's (the same path a single apply takes); a
 * target's failure is kept as its coded error, never thrown.
 */
import { asMigsealError, type MigsealError } from '../errors.js';
import type { WavePlan } from './waves.js';

export interface TargetRecord<T, R> {
  target: T;
  /** 1-based; the canary is wave 1 when there is one. */
  wave: number;
  /** Set once the target ran and succeeded. */
  result?: R;
  /** Set once the target ran and failed. */
  error?: MigsealError;
  /** Neither: the rollout stopped before this target's wave. */
  durationMs: number;
}

export interface RolloutResult<T, R> {
  records: TargetRecord<T, R>[];
  /** The wave after which the rollout stopped because a target failed (1-based), if it did. */
  stoppedAfterWave: number | undefined;
  durationMs: number;
}

export interface RolloutOptions<T, R> {
  parallel: number;
  stopOnFailure: boolean;
  run: (target: T) => Promise<R>;
  /** Called as each target finishes (for live progress). */
  onDone?: (record: TargetRecord<T, R>, done: number, total: number) => void;
}

export async function runRollout<T, R>(plan: WavePlan<T>, options: RolloutOptions<T, R>): Promise<RolloutResult<T, R>> {
  const started = performance.now();
  const records = plan.waves.flatMap((wave, w) => wave.map((target): TargetRecord<T, R> => ({ target, wave: w + 1, durationMs: 0 })));
  const total = records.length;
  let done = 0;
  let stoppedAfterWave: number | undefined;
  for (let w = 1; w <= plan.waves.length; w++) {
    const queue = records.filter((r) => r.wave === w);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < queue.length) {
        const record = queue[next++]!;
        const began = performance.now();
        try {
          record.result = await options.run(record.target);
        } catch (error) {
          record.error = asMigsealError(error, 'INTERNAL', `Internal error (a bug in migseal): ${String((error as Error)?.message ?? error)}`);
        }
        record.durationMs = Math.round(performance.now() - began);
        options.onDone?.(record, ++done, total);
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.parallel, queue.length) }, worker));
    if (options.stopOnFailure && queue.some((r) => r.error)) {
      stoppedAfterWave = w;
      break;
    }
  }
  return { records, stoppedAfterWave, durationMs: Math.round(performance.now() - started) };
}
