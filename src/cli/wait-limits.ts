/**
 * PostgreSQL's lock_timeout and statement_timeout for a run: --pg-lock-timeout and
 * --pg-statement-timeout, else the environment's pgLockTimeout and pgStatementTimeout in the
 * trust policy, else migseal's defaults (LIMITS). A migration's own SET wins inside it.
 */
import type { WaitLimits } from '../db/driver.js';
import { MigsealError } from '../errors.js';
import { DURATION_FORMS, parseDuration } from '../format/duration.js';
import type { EnvironmentRule } from '../trust/policy.js';

const FLAGS = { lockTimeoutMs: 'pg-lock-timeout', statementTimeoutMs: 'pg-statement-timeout' } as const;

/** The flags' values, checked (USAGE when one is not a duration). */
export function waitLimitFlags(flags: Record<string, unknown>): Partial<WaitLimits> {
  const limits: Partial<WaitLimits> = {};
  for (const [field, flag] of Object.entries(FLAGS) as [keyof WaitLimits, string][]) {
    const raw = flags[flag];
    if (typeof raw !== 'string') continue;
    const ms = parseDuration(raw);
    if (ms === undefined) throw new MigsealError('USAGE', `--${flag} takes ${DURATION_FORMS}, not "${raw}".`);
    limits[field] = ms;
  }
  return limits;
}

/** The flags first, then the environment's policy; what neither sets is left to the defaults. */
export function waitLimits(flags: Record<string, unknown>, rule: EnvironmentRule | undefined): Partial<WaitLimits> {
  return {
    ...(rule?.pgLockTimeoutMs !== undefined && { lockTimeoutMs: rule.pgLockTimeoutMs }),
    ...(rule?.pgStatementTimeoutMs !== undefined && { statementTimeoutMs: rule.pgStatementTimeoutMs }),
    ...waitLimitFlags(flags),
  };
}
