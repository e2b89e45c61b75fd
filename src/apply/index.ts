/** The runner: what apply, plan, rollback and resolve do to a database, after verification. */
export { applyBundle, type ApplyOptions, type ApplyReport } from './apply.js';
export { previewApply, type PreviewReport } from './preview.js';
export { rollbackBundle, type RollbackOptions, type RollbackPlanStep, type RollbackReport } from './rollback.js';
export { resolveMigration, type ResolveOptions, type ResolveReport } from './resolve.js';
export { chainLine } from './chain-line.js';
export { readHistory, readRuns, isInSchema, type History, type AppliedMigration, type RunRecord, type ReleaseMarker } from './history.js';
export { TABLES } from './history-schema.js';
export { runnerIdentity, type RunnerIdentity } from './runner-identity.js';
