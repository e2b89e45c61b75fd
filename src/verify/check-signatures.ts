/**
 * Checks that each signature file is a Sigstore bundle that verifies against a key or a
 * certificate identity the policy names, and whose statement's subject is this manifest's
 * digest (the DSSE path of @sigstore/verify does not compare the subject itself).
 *
 * Signatures by signers the policy does not know do not count and are reported; a signature
 * that fails cryptographically, a statement about another manifest, or any signature by a
 * revoked key or identity refuses the whole bundle.
 */
import { MigsealError } from '../errors.js';
import { statementProblems, type ReleaseStatement, type Role } from '../format/statement.js';
import type { TrustPolicy } from '../trust/policy.js';
import { parsePayload, verifyPolicySigner } from './policy-signer.js';
import { signerWindowProblem } from './signer-window.js';

export interface AcceptedSignature {
  entry: string;
  role: Role;
  /** The policy's id for the key or identity. */
  signer: string;
  /** Who signed, for counting distinct signers: the key id, or the certificate's authority, issuer and identity. */
  principal: string;
  keyId?: string;
  identity?: { identity: string; issuer: string; authority: string };
  /** The earliest signing time the signature's verified evidence vouches for (transparency log or RFC 3161 timestamp). */
  signedAt?: string;
  statement: ReleaseStatement;
}

type SetAsideCode = 'SIGNER_UNKNOWN' | 'SIGNER_OUTSIDE_VALIDITY' | 'SIGNER_ROLE_NOT_ALLOWED';

export interface SignatureCheckResult {
  accepted: AcceptedSignature[];
  /** Signatures that verified nothing the policy trusts, with the reason each was set aside. */
  setAside: Array<{ entry: string; code: SetAsideCode; reason: string }>;
}

export function checkSignatures(signatures: ReadonlyMap<string, Buffer>, manifestSha256: string, policy: TrustPolicy, now: Date): SignatureCheckResult {
  if (signatures.size === 0) throw new MigsealError('BUNDLE_UNSIGNED', 'The bundle is not signed.');
  const result: SignatureCheckResult = { accepted: [], setAside: [] };
  const setAside = (entry: string, code: SetAsideCode, reason: string) => void result.setAside.push({ entry, code, reason });

  const keyHolders: Array<{ principal: string; keyId: string }> = [];
  for (const [entry, bytes] of signatures) {
    const signer = verifyPolicySigner(entry, bytes, manifestSha256, policy, now);
    if ('unknown' in signer) {
      setAside(entry, 'SIGNER_UNKNOWN', signer.unknown);
      continue;
    }
    const statement = parseStatement(entry, signer.verified.payload!);
    if (statement.subject[0].digest.sha256 !== manifestSha256) {
      throw new MigsealError('SIGNATURE_SUBJECT_MISMATCH', `The signature ${entry} by ${signer.what} is for another manifest (${statement.subject[0].digest.sha256.slice(0, 16)}…), not this one.`);
    }
    const { trusted } = signer;
    if (trusted.revoked) throw new MigsealError('SIGNER_REVOKED', `The bundle is signed by ${signer.what}, which the trust policy revokes.`);
    const role = statement.predicate.role;
    const windowProblem = signerWindowProblem(trusted, 'retired' in trusted && trusted.retired, now, signer.verified.trustedTimes);
    if (windowProblem) {
      setAside(entry, 'SIGNER_OUTSIDE_VALIDITY', `${signer.what} ${windowProblem}`);
      continue;
    }
    if (!trusted.roles.includes(role)) {
      setAside(entry, 'SIGNER_ROLE_NOT_ALLOWED', `${signer.what} signed as ${role} but the policy allows it only ${trusted.roles.join(', ')}`);
      continue;
    }
    keyHolders.push({ principal: signer.principal, keyId: signer.signingKeyId });
    result.accepted.push({
      entry,
      role,
      signer: trusted.id,
      principal: signer.principal,
      ...('keyId' in trusted && { keyId: trusted.keyId }),
      ...('authority' in trusted && { identity: { identity: signer.verified.identity!, issuer: signer.verified.issuer!, authority: trusted.authority.id } }),
      ...(signer.verified.trustedTimes.length > 0 && { signedAt: earliest(signer.verified.trustedTimes) }),
      statement,
    });
  }
  const same = sameSigner(keyHolders);
  for (const signature of result.accepted) signature.principal = same(signature.principal);
  return result;
}

/**
 * One holder of one private key is one signer: a key named bare and inside a certificate, or in
 * certificates for two identities, counts once. Returns each principal's representative, merging
 * principals that signed with the same canonical key.
 */
function sameSigner(holders: ReadonlyArray<{ principal: string; keyId: string }>): (principal: string) => string {
  const parent = new Map<string, string>();
  const find = (p: string): string => {
    let root = p;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    return root;
  };
  const byKey = new Map<string, string>();
  for (const { principal, keyId } of holders) {
    const other = byKey.get(keyId);
    if (other === undefined) byKey.set(keyId, principal);
    else if (find(other) !== find(principal)) parent.set(find(principal), find(other));
  }
  return find;
}

const earliest = (times: readonly Date[]): string => new Date(Math.min(...times.map((t) => t.getTime()))).toISOString();

function parseStatement(entry: string, payload: Buffer): ReleaseStatement {
  const value = parsePayload(entry, payload);
  const problems = statementProblems(value);
  if (problems.length > 0) throw new MigsealError('SIGNATURE_MALFORMED', `The statement in ${entry} is not a migseal release statement: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` and ${problems.length - 5} more` : ''}.`, { details: { problems } });
  return value as ReleaseStatement;
}

export { withinWindow } from './signer-window.js';
