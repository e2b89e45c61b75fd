/**
 * The schema fingerprint: a canonical description of a database's live schema, read from its
 * catalog, and its SHA-256. migseal records one after every run, compares it before the next
 * (live schema drift), and a rehearsal compares them migration by migration.
 */
import type { Driver } from '../db/driver.js';
import { makeFingerprint, type SchemaFingerprint } from './canonical.js';
import { readPostgresObjects } from './postgres.js';
import { readSqliteObjects } from './sqlite.js';

export async function readSchemaFingerprint(driver: Driver): Promise<SchemaFingerprint> {
  const objects = driver.dialect === 'postgres' ? await readPostgresObjects(driver) : await readSqliteObjects(driver);
  return makeFingerprint(driver.dialect, objects);
}

export { canonicalFingerprint, fingerprintText, makeFingerprint, parseFingerprint, objectKey, objectLabel, OBJECT_KINDS, type ObjectKind, type SchemaFingerprint, type SchemaObject } from './canonical.js';
export { compareFingerprints, isSameSchema, summarizeDifference, type ChangedObject, type FingerprintDifference } from './compare.js';
