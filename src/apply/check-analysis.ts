/**
 * Checks, before a script runs, that verification judged the findings of the scripts this
 * command runs (down scripts for rollback) as this database reads them: a bundle verified
 * for one dialect or direction is never run in another.
 */
import type { DriverDialect } from '../db/driver.js';
import { MigsealError } from '../errors.js';
import { checkAnalysisCovers } from '../verify/check-findings.js';
import type { VerifiedBundle } from '../verify/index.js';

export function checkAnalysisJudged(verified: VerifiedBundle, dialect: DriverDialect, direction: 'up' | 'down'): void {
  const { judged } = verified;
  if (judged.direction !== direction) {
    throw new MigsealError('ANALYSIS_MISSING', `The bundle's findings were judged for its ${judged.direction} scripts, but this command runs its ${direction} scripts; verify it for ${direction === 'down' ? 'rollback' : 'apply'}.`);
  }
  if (judged.dialect !== undefined && judged.dialect !== dialect) {
    throw new MigsealError('ANALYSIS_MISSING', `The bundle's findings were judged for ${judged.dialect}, but the database is ${dialect}.`);
  }
  // Verified without a dialect, every dialect's findings were judged; the analysis must still have covered this one.
  checkAnalysisCovers(verified.manifest, dialect as 'postgres' | 'sqlite', direction);
}
