/**
 * Checks the build provenance, when the bundle carries one, as strictly as a release
 * signature: a Sigstore bundle that verifies against a key or identity the policy names, a
 * SLSA Provenance v1 statement whose one subject is this manifest's digest (compared here,
 * not by @sigstore/verify), by a signer that is not revoked, inside its window, and allowed
 * the `release` role. A provenance that fails cryptographically, is malformed or is about
 * another manifest refuses the bundle; one by a signer the policy does not accept is set
 * aside and reported, and counts as absent.
 */
import { MigsealError } from '../errors.js';
import { provenanceClaims, provenanceProblems, type ProvenanceClaims, type ProvenanceStatement } from '../format/provenance-statement.js';
import type { TrustPolicy } from '../trust/policy.js';
import { parsePayload, verifyPolicySigner } from './policy-signer.js';
import { signerWindowProblem } from './signer-window.js';
import type { SignatureCheckResult } from './check-signatures.js';

/** The provenance as verified: its claims, and who vouched for them. */
export interface VerifiedProvenance extends ProvenanceClaims {
  /** The archive entry, e.g. attestations/1a2b….sigstore.json. */
  entry: string;
  /** The policy's id for the key or identity that signed it (one allowed the release role). */
  signer: string;
  keyId?: string;
  identity?: { identity: string; issuer: string; authority: string };
  statement: ProvenanceStatement;
}

export interface ProvenanceCheckResult {
  provenance?: VerifiedProvenance;
  /** A provenance that verified nothing the policy accepts, with the reason. */
  setAside: SignatureCheckResult['setAside'];
}

export function checkProvenance(attestations: ReadonlyMap<string, Buffer>, manifestSha256: string, policy: TrustPolicy, now: Date): ProvenanceCheckResult {
  if (attestations.size === 0) return { setAside: [] };
  if (attestations.size > 1) throw new MigsealError('PROVENANCE_INVALID', `The bundle carries ${attestations.size} attestations; a bundle has exactly one build provenance.`);
  const [entry, bytes] = [...attestations][0]!;
  const signer = verifyPolicySigner(entry, bytes, manifestSha256, policy, now);
  if ('unknown' in signer) return { setAside: [{ entry, code: 'SIGNER_UNKNOWN', reason: `the provenance ${signer.unknown.replace(/^attestations\/\S+ /, '')}` }] };

  const value = parsePayload(entry, signer.verified.payload!);
  const problems = provenanceProblems(value);
  if (problems.length > 0) {
    throw new MigsealError('PROVENANCE_INVALID', `The provenance ${entry} by ${signer.what} is not a migseal SLSA provenance: ${problems.slice(0, 5).join('; ')}.`, { details: { problems } });
  }
  const statement = value as ProvenanceStatement;
  const subject = statement.subject[0].digest.sha256;
  if (subject !== manifestSha256) {
    throw new MigsealError('SIGNATURE_SUBJECT_MISMATCH', `The provenance ${entry} by ${signer.what} is for another manifest (${subject.slice(0, 16)}…), not this one.`);
  }
  const { trusted } = signer;
  if (trusted.revoked) throw new MigsealError('SIGNER_REVOKED', `The bundle's provenance is signed by ${signer.what}, which the trust policy revokes.`);
  const windowProblem = signerWindowProblem(trusted, 'retired' in trusted && trusted.retired, now, signer.verified.trustedTimes);
  if (windowProblem) return { setAside: [{ entry, code: 'SIGNER_OUTSIDE_VALIDITY', reason: `the provenance is signed by ${signer.what}, which ${windowProblem}` }] };
  if (!trusted.roles.includes('release')) {
    return { setAside: [{ entry, code: 'SIGNER_ROLE_NOT_ALLOWED', reason: `the provenance is signed by ${signer.what}, which the policy allows only ${trusted.roles.join(', ')}, not release` }] };
  }
  return {
    setAside: [],
    provenance: {
      entry,
      ...provenanceClaims(statement),
      signer: trusted.id,
      ...('keyId' in trusted && { keyId: trusted.keyId }),
      ...('authority' in trusted && { identity: { identity: signer.verified.identity!, issuer: signer.verified.issuer!, authority: trusted.authority.id } }),
      statement,
    },
  };
}
