/**
 * The rehearsals a bundle carries, and the environment's requirement of one (T1.27). Each
 * rehearsal statement is an attestation checked as strictly as a signature: it verifies
 * against a key or identity the policy names and is about this exact manifest, or it refuses
 * the bundle. Where the environment says `"requireRehearsal": { "role": R }`, one of them
 * must be signed by a signer holding role R (not revoked, inside its window), be about this
 * project and release, and have passed; a failed rehearsal never counts.
 */
import { MigsealError } from '../errors.js';
import { rehearsalProblems, type RehearsalStatement } from '../format/rehearsal-statement.js';
import type { Manifest } from '../format/manifest.js';
import type { EnvironmentRule, TrustPolicy } from '../trust/policy.js';
import { parsePayload, verifyPolicySigner } from './policy-signer.js';
import { signerWindowProblem } from './signer-window.js';

export interface RehearsalEvidence {
  entry: string;
  /** The policy's id for its signer, when the policy names one. */
  signer?: string;
  passed: boolean;
  server?: string;
  rehearsedAt?: string;
  /** Why it does not satisfy the environment's requirement (absent: it does, or there is none). */
  notCounted?: string;
}

export function checkRehearsal(rehearsals: ReadonlyMap<string, Buffer>, digest: string, manifest: Manifest, policy: TrustPolicy, rule: EnvironmentRule, environment: string, now: Date): RehearsalEvidence[] {
  const required = rule.requireRehearsal?.role;
  const evidence: RehearsalEvidence[] = [];
  for (const [entry, bytes] of rehearsals) {
    const signer = verifyPolicySigner(entry, bytes, digest, policy, now);
    if ('unknown' in signer) {
      evidence.push({ entry, passed: false, notCounted: `the rehearsal ${signer.unknown.replace(/^attestations\/\S+ /, '')}` });
      continue;
    }
    const value = parsePayload(entry, signer.verified.payload!);
    const problems = rehearsalProblems(value);
    if (problems.length > 0) {
      throw new MigsealError('SIGNATURE_MALFORMED', `The rehearsal ${entry} by ${signer.what} is not a migseal rehearsal statement: ${problems.slice(0, 5).join('; ')}.`, { details: { problems } });
    }
    const { predicate } = value as RehearsalStatement;
    const { trusted } = signer;
    const found: RehearsalEvidence = { entry, signer: trusted.id, passed: predicate.passed, server: predicate.server.version, rehearsedAt: predicate.rehearsedAt };
    const windowProblem = signerWindowProblem(trusted, 'retired' in trusted && trusted.retired, now, signer.verified.trustedTimes);
    if (trusted.revoked) found.notCounted = `it is signed by ${signer.what}, which the trust policy revokes`;
    else if (windowProblem) found.notCounted = `it is signed by ${signer.what}, which ${windowProblem}`;
    else if (predicate.project !== manifest.project || predicate.release !== manifest.release) found.notCounted = `it is about ${predicate.project} release ${predicate.release}, not ${manifest.project} release ${manifest.release}`;
    else if (required !== undefined && !trusted.roles.includes(required)) found.notCounted = `it is signed by ${signer.what}, which the policy allows only ${trusted.roles.join(', ')}, not ${required}`;
    else if (!predicate.passed) found.notCounted = `it failed: ${firstProblem(predicate)}`;
    evidence.push(found);
  }
  if (required !== undefined && !evidence.some((e) => e.notCounted === undefined)) {
    const why = evidence.length === 0 ? 'the bundle carries no rehearsal statement' : `the bundle's rehearsal does not count: ${evidence.map((e) => e.notCounted).join('; ')}`;
    throw new MigsealError(
      'REHEARSAL_REQUIRED',
      `Environment "${environment}" requires a passing rehearsal signed in role ${required}, and ${why}. ${evidence.some((e) => e.signer !== undefined && !e.passed) ? 'Fix the release and rehearse it again' : 'Rehearse the release on a scratch database'} with a key in that role: migseal rehearse BUNDLE --trust FILE --db SCRATCH_URL --key KEY.`,
      { details: { role: required, rehearsals: evidence } },
    );
  }
  return evidence;
}

function firstProblem(predicate: RehearsalStatement['predicate']): string {
  const bad = (s: string) => s === 'failed' || s === 'left-behind' || s === 'missing';
  const m = predicate.migrations.find((x) => bad(x.up) || bad(x.down) || bad(x.reapply));
  if (!m) return `the schema after applying everything again is not the one after the first apply${predicate.reapplyDifference ? ` (${predicate.reapplyDifference})` : ''}`;
  const step = bad(m.up) ? `its up script ${m.up}` : bad(m.down) ? `its down script ${m.down === 'left-behind' ? 'did not restore the schema' : m.down}` : `applying it again ${m.reapply}`;
  return `migration ${m.version} (${m.name}): ${step}${m.problem ? ` (${m.problem})` : ''}`;
}
