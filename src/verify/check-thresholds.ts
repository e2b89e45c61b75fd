/**
 * Checks that the environment's thresholds are met: for each role, N distinct trusted
 * signers (keys or certificate identities) signed in that role. One signer counts once per
 * role, however many signatures it made. When the environment says so, approvals count
 * only from signers other than those that signed the release (separation of duties).
 */
import { MigsealError } from '../errors.js';
import type { EnvironmentRule } from '../trust/policy.js';
import type { SignatureCheckResult } from './check-signatures.js';
import { ROLES, type Role } from '../format/statement.js';

const NOUN: Record<Role, [string, string]> = { release: ['release signature', 'release signatures'], approve: ['approval', 'approvals'] };

export function checkThresholds(signatures: SignatureCheckResult, rule: EnvironmentRule, environment: string): void {
  const missing: string[] = [];
  const notCounted = signatures.setAside.map((s) => s.reason);
  const releasers = new Set(signatures.accepted.filter((s) => s.role === 'release').map((s) => s.principal));
  for (const role of ROLES) {
    const needed = rule.thresholds[role] ?? 0;
    const signers = new Set(signatures.accepted.filter((s) => s.role === role).map((s) => s.principal));
    if (role === 'approve' && rule.approversDistinctFromRelease) {
      for (const s of signatures.accepted.filter((a) => a.role === 'approve' && releasers.has(a.principal))) {
        signers.delete(s.principal);
        notCounted.push(`${s.signer} approved its own release, and approvers must differ from the release signer here`);
      }
    }
    const short = needed - signers.size;
    if (short > 0) missing.push(`${short} more ${NOUN[role][short === 1 ? 0 : 1]} from role ${role}`);
  }
  if (missing.length === 0) return;
  const first = signatures.setAside[0];
  throw new MigsealError(
    first && signatures.accepted.length === 0 ? first.code : 'THRESHOLD_NOT_MET',
    `The bundle does not meet the "${environment}" policy: it needs ${missing.join(' and ')} (distinct keys or identities)${notCounted.length ? `; not counted: ${[...new Set(notCounted)].join('; ')}` : ''}.`,
    { details: { missing, notCounted } },
  );
}
