/**
 * `apply --to VERSION` (golang-migrate's goto, Flyway's -target): which pending migrations run
 * when the operator stops at a version. The version must be one of the bundle's versioned
 * migrations, and nothing after it may be applied already: apply only moves forward, and going
 * back is rollback's job. Repeatable migrations run only with the whole release.
 */
import { MigsealError } from '../errors.js';
import type { ManifestMigration } from '../format/manifest.js';
import type { MigrationPlan, PlannedMigration } from './plan.js';

/** The bundle position of the version to stop at; a usage error when the bundle has no such versioned migration. */
export function targetIndex(migrations: readonly ManifestMigration[], to: string): number {
  const index = migrations.findIndex((m) => !m.repeatable && m.version === to);
  if (index < 0) {
    const versions = migrations.filter((m) => !m.repeatable).map((m) => m.version);
    const shown = versions.length > 8 ? [...versions.slice(0, 4), '…', ...versions.slice(-3)] : versions;
    throw new MigsealError('USAGE', `Version ${to} is not a migration in this bundle; --to takes one of its versions (${shown.join(', ') || 'none'}).`);
  }
  return index;
}

/** The pending migrations apply --to runs, in order; a usage error when a later migration is already applied. */
export function pendingUpTo(plan: MigrationPlan, stop: number, to: string): PlannedMigration[] {
  const later = [...plan.applied, ...plan.drift].map((a) => a.planned).filter((p) => !p.migration.repeatable && p.index > stop).sort((a, b) => b.index - a.index)[0];
  if (later) {
    throw new MigsealError(
      'USAGE',
      `Migration ${later.migration.version} (${later.migration.name}) is already applied and comes after ${to}: apply only moves forward. To go back to ${to}, run migseal rollback BUNDLE --to ${to}.`,
    );
  }
  return plan.pending.filter((p) => !p.migration.repeatable && p.index <= stop);
}
