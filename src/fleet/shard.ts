/**
 * `--shard i/n`: a stable slice of the targets, so n copies of one rollout on n machines (a CI
 * matrix, a Kubernetes indexed Job) each take their own, and together take every target exactly
 * once. A target's shard is the first 4 bytes of SHA-256 of its name, modulo n: it depends on
 * the name alone, not on the file's order or on the other targets, so adding a target never
 * moves another. Shards are numbered from 1 to n, as test runners number theirs.
 */
import { createHash } from 'node:crypto';
import { MigsealError } from '../errors.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new MigsealError('USAGE', `--shard takes i/n with 1 <= i <= n (shards are numbered from 1), not "${text}".`);
  }
  return { index, count };
}

/** The shard (1..count) a target's name falls in. */
export function shardOfName(name: string, count: number): number {
  return (createHash('sha256').update(name, 'utf8').digest().readUInt32BE(0) % count) + 1;
}

/** The targets of one shard, in their order in the file. */
export function takeShard<T extends { name: string }>(targets: readonly T[], shard: Shard | undefined): T[] {
  if (!shard || shard.count === 1) return [...targets];
  return targets.filter((t) => shardOfName(t.name, shard.count) === shard.index);
}
