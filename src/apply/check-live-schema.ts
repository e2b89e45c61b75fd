/**
 * Checks that the live schema is the one migseal left: the fingerprint the newest run
 * recorded. A schema changed outside migseal (a hotfix, an ALTER TABLE by hand, another
 * tool) is refused where the policy says refuse; where it says warn, apply goes on and
 * reports the drift. A difference that may be a failed or killed run's own work (it committed
 * migrations and could not record the schema it left) is not called drift, but it is not let
 * through either: the operator looks at it and records it with drift --accept.
 */
import { MigsealError } from '../errors.js';
import { summarizeDifference } from '../fingerprint/index.js';
import type { CheckContext } from './check-context.js';
import { describeUnrecorded } from './live-schema.js';

export function checkLiveSchema({ liveSchema, onDrift, target }: CheckContext): void {
  if (!liveSchema?.drifted || onDrift === 'warn') return;
  const { recorded, difference, unrecorded } = liveSchema;
  if (unrecorded) {
    throw new MigsealError(
      'SCHEMA_UNRECORDED',
      `The live schema of ${target} differs from the one migseal recorded (${recorded.recordedAt}, sha256:${recorded.sha256.slice(0, 16)}…: ${summarizeDifference(difference)}), and ${describeUnrecorded(unrecorded)}, so a change made outside migseal cannot be told apart from it. Nothing was run; check every difference with migseal drift --db URL, then record the schema as it is with migseal drift --db URL --accept --reason TEXT.`,
      { details: { recorded: recorded.sha256, live: liveSchema.live.sha256, unrecorded, ...difference } },
    );
  }
  throw new MigsealError(
    'SCHEMA_DRIFTED',
    `The live schema of ${target} is not the one migseal recorded after its last run (${recorded.recordedAt}, sha256:${recorded.sha256.slice(0, 16)}…); it was changed outside migseal: ${summarizeDifference(difference)}. Nothing was run; see every difference with migseal drift --db URL, then undo the change, or record it as intended with migseal drift --db URL --accept --reason TEXT.`,
    { details: { recorded: recorded.sha256, live: liveSchema.live.sha256, ...difference } },
  );
}

/** The warning apply and plan give instead, where the policy says warn. */
export function liveSchemaWarning({ liveSchema, onDrift, target }: Pick<CheckContext, 'liveSchema' | 'onDrift' | 'target'>): string | undefined {
  if (!liveSchema?.drifted || onDrift !== 'warn') return undefined;
  if (liveSchema.unrecorded) {
    return `the live schema of ${target} differs from the one migseal recorded (${summarizeDifference(liveSchema.difference)}), and ${describeUnrecorded(liveSchema.unrecorded)}; the policy says warn, so the run went ahead and records the schema anew`;
  }
  return `the live schema of ${target} drifted from the one migseal recorded after its last run (${summarizeDifference(liveSchema.difference)}); the policy says warn, so the run went ahead`;
}
