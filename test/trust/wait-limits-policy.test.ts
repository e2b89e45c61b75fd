/** An environment's pgLockTimeout and pgStatementTimeout: durations, read strictly, and the flags win over them. */
import { describe, expect, it } from 'vitest';
import { trustPolicyFromJson } from '../../src/trust/policy.js';
import { waitLimits } from '../../src/cli/wait-limits.js';
import { formatDuration, parseDuration } from '../../src/format/duration.js';
import { refusal } from '../helpers/refusal.js';

const policy = (production: Record<string, unknown>) =>
  trustPolicyFromJson({ project: 'shop', keys: [], environments: { production: { release: 1, ...production } } }, '/nowhere/trust.json');

describe('wait limits in the trust policy', () => {
  it('reads durations per environment; the flags win over them', () => {
    const rule = policy({ pgLockTimeout: '3s', pgStatementTimeout: '30m' }).environments.production!;
    expect([rule.pgLockTimeoutMs, rule.pgStatementTimeoutMs]).toEqual([3000, 1_800_000]);
    expect(waitLimits({}, rule)).toEqual({ lockTimeoutMs: 3000, statementTimeoutMs: 1_800_000 });
    expect(waitLimits({ 'pg-lock-timeout': '500ms' }, rule)).toEqual({ lockTimeoutMs: 500, statementTimeoutMs: 1_800_000 });
    expect(waitLimits({}, policy({}).environments.production)).toEqual({});
  });

  it.each([['5'], [5000], ['5 s'], ['-1s'], ['30d'], ['999999999h']])('refuses %j', (value) => {
    const error = refusal(() => policy({ pgLockTimeout: value }), 'POLICY_INVALID');
    expect(error.message).toContain('$.environments.production.pgLockTimeout must be a duration like 500ms, 10s, 2m or 1h, or 0 for no limit');
  });

  it('durations: the forms people write, and back', () => {
    expect(['0', '250ms', '1.5s', '10s', '2m', '2min', '1h'].map(parseDuration)).toEqual([0, 250, 1500, 10_000, 120_000, 120_000, 3_600_000]);
    expect([0, 250, 1500, 10_000, 120_000].map(formatDuration)).toEqual(['0 (no limit)', '250ms', '1500ms', '10s', '2m']);
  });
});
