/** The policy's onDrift, strictly: refuse or warn, refuse by default where an approval is required. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trustPolicyFromJson } from '../../src/trust/policy.js';
import { makeKey, removeDir, tempDir } from '../helpers/fixtures.js';
import { refusal } from '../helpers/refusal.js';

const dir = tempDir('migseal-on-drift-');
afterAll(() => removeDir(dir));
const key = makeKey(dir, 'release');
const policy = (environments: Record<string, unknown>) =>
  trustPolicyFromJson({ project: 'shop', keys: [{ id: 'r', publicKey: `${key.name}.pub`, roles: ['release', 'approve'] }], environments }, join(dir, 'trust.json'));

describe('environments.X.onDrift', () => {
  it('defaults to refuse where an approval is required and to warn elsewhere; an explicit value wins', () => {
    const p = policy({ default: { release: 1 }, production: { release: 1, approve: 1 }, staging: { release: 1, approve: 1, onDrift: 'warn' }, dev: { release: 1, onDrift: 'refuse' } });
    expect(Object.fromEntries(Object.entries(p.environments).map(([name, rule]) => [name, rule.onDrift]))).toEqual({ default: 'warn', production: 'refuse', staging: 'warn', dev: 'refuse' });
  });

  it.each([['ignore'], [true], [null]])('refuses %j (POLICY_INVALID)', (value) => {
    const error = refusal(() => policy({ default: { release: 1, onDrift: value } }), 'POLICY_INVALID');
    expect(error.message).toMatch(/\$\.environments\.default\.onDrift must be "refuse" or "warn"/);
  });
});
