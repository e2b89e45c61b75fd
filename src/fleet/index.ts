/** Fleet rollouts: one verified release applied to many databases, canary first, then in waves. */
export { parseTargets, type Target } from './targets.js';
export { parseShard, shardOfName, takeShard, type Shard } from './shard.js';
export { planWaves, countFlag, DEFAULT_CANARY, DEFAULT_WAVE, type WavePlan } from './waves.js';
export { runRollout, type RolloutResult, type TargetRecord } from './rollout.js';
export { rolloutJson, rolloutText, incomplete, summarize, targetReport, type AppliedTarget, type TargetReport, type RolloutSettings } from './report.js';
