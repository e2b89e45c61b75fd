/** What every check against a database's history looks at. */
import type { DriverDialect } from '../db/driver.js';
import type { Manifest } from '../format/manifest.js';
import type { History } from './history.js';
import type { MigrationPlan } from './plan.js';

export interface CheckContext {
  manifest: Manifest;
  digest: string;
  dialect: DriverDialect;
  target: string;
  history: History;
  plan: MigrationPlan;
  allowUnknownApplied: boolean;
}
