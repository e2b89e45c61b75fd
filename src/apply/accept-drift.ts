/**
 * The operator's way to record a schema change made outside migseal as intended (a hotfix
 * applied by hand, say), so that plan and apply stop refusing it: a run of its own in the
 * history, recorded as a resolve with who decided and why, whose fingerprint is the live
 * schema. Only a drifted schema is accepted, and only under the runner lock.
 */
import type { Driver } from '../db/driver.js';
import { MigsealError } from '../errors.js';
import { summarizeDifference } from '../fingerprint/index.js';
import { readLiveSchema, type LiveSchema } from './live-schema.js';
import { withRecordedRun, type RecordedRunOptions } from './recorded-run.js';

export interface AcceptDriftOptions extends RecordedRunOptions {
  reason: string;
}

export interface AcceptDriftReport {
  target: string;
  runId: string;
  by: string;
  accepted: LiveSchema;
}

export async function acceptSchemaDrift(driver: Driver, options: AcceptDriftOptions): Promise<AcceptDriftReport> {
  if (options.reason.trim() === '') throw new MigsealError('USAGE', 'drift --accept needs a --reason saying why the change is intended.');
  return withRecordedRun(driver, { ...options, lockOwner: { command: 'drift --accept' } }, async (history, identity) => {
    const live = await readLiveSchema(driver, history);
    if (!live) throw new MigsealError('USAGE', `${driver.target} has no recorded schema fingerprint to compare with: no migseal run has recorded one yet, so there is no drift to accept.`);
    if (!live.drifted) throw new MigsealError('USAGE', `The live schema of ${driver.target} matches the fingerprint recorded ${live.recorded.recordedAt}: there is no drift to accept.`);
    return {
      start: {
        command: 'resolve', bundleDigest: null, project: history.marker?.project ?? null, release: history.marker?.release ?? null, signers: [], environment: null,
        reason: `schema drift accepted (${summarizeDifference(live.difference)}): ${options.reason}`,
      },
      // Nothing to do but record the run: the skeleton records the live schema's fingerprint with it.
      atomic: true,
      steps: async ({ runId }) => ({ target: driver.target, runId, by: identity.label, accepted: live }),
    };
  });
}
