/** What every check against a database's history looks at. */
import type { DriverDialect } from '../db/driver.js';
import type { Manifest } from '../format/manifest.js';
import type { History } from './history.js';
import type { MigrationPlan } from './plan.js';
import type { LiveSchema } from './live-schema.js';

export interface CheckContext {
  manifest: Manifest;
  digest: string;
  dialect: DriverDialect;
  target: string;
  history: History;
  plan: MigrationPlan;
  allowUnknownApplied: boolean;
  /** The live schema against the last recorded fingerprint (plan and apply read it; undefined: nothing to compare). */
  liveSchema?: LiveSchema;
  /** The environment's policy on a drifted live schema (absent: refuse). */
  onDrift?: 'refuse' | 'warn';
}
