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
}

export async function readLiveSchema(driver: Driver, history: History): Promise<LiveSchema | undefined> {
  if (!history.fingerprint) return undefined;
  const recorded = await readRecordedFingerprint(driver, history.fingerprint);
  // Reading a view's definition locks its table: a lock timeout there names who held the lock.
  const live = await (driver.watchLocks ? driver.watchLocks(() => readSchemaFingerprint(driver)) : readSchemaFingerprint(driver));
  const difference = live.sha256 === recorded.sha256 ? { added: [], removed: [], changed: [] } : compareFingerprints(recorded, live);
  return { recorded: history.fingerprint, live, difference, drifted: !isSameSchema(difference) };
}
