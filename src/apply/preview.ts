/**
 * What apply would do, read-only: which migrations are applied, pending or drifted, and
 * which check (if any) apply would refuse with. Takes no lock and creates nothing.
 */
import type { Driver } from '../db/driver.js';
import { isMigsealError } from '../errors.js';
import type { VerifiedBundle } from '../verify/index.js';
import { checkAgainstHistory } from './checks.js';
import { checkNoForeignHistory, findForeignHistory } from './check-foreign-history.js';
import { readHistory, type History } from './history.js';
import { planMigrations, type MigrationPlan, type PlannedMigration } from './plan.js';
import { pendingUpTo, targetIndex } from './target-version.js';
import { executionMode } from './execution-mode.js';
import { readLiveSchema, type LiveSchema } from './live-schema.js';
import { liveSchemaWarning } from './check-live-schema.js';

export interface PreviewReport {
  target: string;
  history: History;
  plan: MigrationPlan;
  /** The refusal apply would give now, or undefined when apply would proceed. */
  refusal: { code: string; message: string } | undefined;
  /** With --to: the pending migrations after that version, which apply --to leaves pending (plan.pending holds the rest). */
  later: PlannedMigration[];
  /** How each pending migration would run. */
  modes: Record<string, 'transaction' | 'outside'>;
  /** The live schema against the last recorded fingerprint; undefined when none was recorded. */
  liveSchema: LiveSchema | undefined;
  /** The drift apply would only warn about (the policy says warn). */
  schemaWarning: string | undefined;
}

export async function previewApply(verified: VerifiedBundle, driver: Driver, options: { allowUnknownApplied?: boolean; peerTableUnrelated?: boolean; to?: string } = {}): Promise<PreviewReport> {
  const stop = options.to === undefined ? undefined : targetIndex(verified.manifest.migrations, options.to);
  const history = await readHistory(driver);
  const plan = planMigrations(verified.manifest.migrations, verified.files, history);
  // apply --to: the same usage errors as apply, and the pending migrations split at the version.
  const selected = stop === undefined ? plan.pending : pendingUpTo(plan, stop, options.to!);
  const later = plan.pending.filter((p) => !selected.includes(p));
  const foreign = await findForeignHistory(driver, history);
  let refusal: PreviewReport['refusal'];
  let liveSchema: LiveSchema | undefined;
  let schemaWarning: string | undefined;
  try {
    checkNoForeignHistory(foreign, driver.target, options.peerTableUnrelated === true);
    liveSchema = await readLiveSchema(driver, history);
    const context = {
      manifest: verified.manifest,
      digest: verified.digest,
      dialect: driver.dialect,
      target: driver.target,
      history,
      plan,
      allowUnknownApplied: options.allowUnknownApplied === true,
      liveSchema,
      onDrift: verified.onDrift,
    };
    checkAgainstHistory(context);
    schemaWarning = liveSchemaWarning(context);
  } catch (error) {
    if (!isMigsealError(error)) throw error;
    refusal = { code: error.code, message: error.message };
  }
  const modes: PreviewReport['modes'] = {};
  for (const p of plan.pending) if (p.migration.runner !== 'native') modes[p.key] = await executionMode(p.migration, p.sql, driver.dialect);
  return { target: driver.target, history, plan: { ...plan, pending: selected }, later, refusal, modes, liveSchema, schemaWarning };
}
