/**
 * The live schema against the fingerprint the newest run recorded: what plan, apply and
 * `migseal drift` compare before anything else. Undefined when no run has recorded one yet
 * (a database migseal never changed, or one an older migseal last changed).
 */
import type { Driver } from '../db/driver.js';
import { compareFingerprints, isSameSchema, readSchemaFingerprint, type FingerprintDifference, type SchemaFingerprint } from '../fingerprint/index.js';
import { readRecordedFingerprint, type History, type RecordedFingerprint } from './history.js';

export interface LiveSchema {
  recorded: RecordedFingerprint;
  live: SchemaFingerprint;
  difference: FingerprintDifference;
  drifted: boolean;
  /**
   * A later run changed the schema (it committed migrations) and could not record the schema it
   * left: it gave up on a lock that the read of a view's definition needed too, or it died. What
   * differs from the recorded fingerprint may then be its own work, not drift: the newest such run
   * and the versions those runs wrote.
   */
  unrecorded?: { runId: string; outcome: string; versions: string[] };
}

export async function readLiveSchema(driver: Driver, history: History): Promise<LiveSchema | undefined> {
  if (!history.fingerprint) return undefined;
  const recorded = await readRecordedFingerprint(driver, history.fingerprint);
  // Reading a view's definition locks its table: a lock timeout there names who held the lock.
  const live = await (driver.watchLocks ? driver.watchLocks(() => readSchemaFingerprint(driver)) : readSchemaFingerprint(driver));
  const difference = live.sha256 === recorded.sha256 ? { added: [], removed: [], changed: [] } : compareFingerprints(recorded, live);
  const unrecorded = unrecordedRun(history);
  return { recorded: history.fingerprint, live, difference, drifted: !isSameSchema(difference), ...(unrecorded && { unrecorded }) };
}

/** The newest run after the recorded fingerprint that wrote migrations (the newest fingerprint is the last run to record one). */
function unrecordedRun(history: History): LiveSchema['unrecorded'] {
  const at = history.runs.findIndex((r) => r.runId === history.fingerprint?.runId);
  if (at < 0) return undefined;
  const later = new Set(history.runs.slice(at + 1).map((r) => r.runId));
  const versions = history.migrations.filter((m) => later.has(m.runId)).map((m) => m.version);
  const newest = history.runs.slice(at + 1).reverse().find((r) => history.migrations.some((m) => m.runId === r.runId));
  return newest && { runId: newest.runId, outcome: newest.outcome, versions };
}

/** Why a difference is not called drift: "run 0a30… (failed) wrote migrations 2, 3 and could not record the schema it left". */
export function describeUnrecorded(u: NonNullable<LiveSchema['unrecorded']>): string {
  return `run ${u.runId} (${u.outcome}) wrote migration${u.versions.length === 1 ? '' : 's'} ${u.versions.join(', ')} after it was recorded and could not record the schema it left (it gave up waiting for a lock, or died), so what differs may be its own work`;
}
