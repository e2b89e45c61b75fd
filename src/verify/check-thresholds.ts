/**
 * Checks that the environment's thresholds are met: for each role, N distinct trusted
 * keys signed in that role. One key counts once per role, however many signatures it made.
 */
import { MigsealError } from '../errors.js';
import type { EnvironmentRule } from '../trust/policy.js';
import type { SignatureCheckResult } from './check-signatures.js';
import { ROLES } from '../signing/statement.js';

export function checkThresholds(signatures: SignatureCheckResult, rule: EnvironmentRule, environment: string): void {
  const missing: string[] = [];
  for (const role of ROLES) {
    const needed = rule.thresholds[role] ?? 0;
    const distinct = new Set(signatures.accepted.filter((s) => s.role === role).map((s) => s.keyId)).size;
    if (distinct < needed) missing.push(`${needed - distinct} more ${role} signature${needed - distinct === 1 ? '' : 's'} from distinct trusted keys`);
  }
  if (missing.length === 0) return;
  const setAside = signatures.setAside.map((s) => s.reason);
  const first = signatures.setAside[0];
  throw new MigsealError(
    first && signatures.accepted.length === 0 ? first.code : 'THRESHOLD_NOT_MET',
    `The bundle does not meet the "${environment}" policy: it needs ${missing.join(' and ')}${setAside.length ? ` (not counted: ${setAside.join('; ')})` : ''}.`,
    { details: { missing, setAside } },
  );
}
