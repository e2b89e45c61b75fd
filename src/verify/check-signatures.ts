/**
 * Checks that each signature file is a Sigstore bundle that verifies against a key or a
 * certificate identity the policy names, and whose statement's subject is this manifest's
 * digest (the DSSE path of @sigstore/verify does not compare the subject itself).
 *
 * Signatures by signers the policy does not know do not count and are reported; a signature
 * that fails cryptographically, a statement about another manifest, or any signature by a
 * revoked key or identity refuses the whole bundle.
 */
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { MigsealError } from '../errors.js';
import { decodeUtf8Strict, parseStrictJson } from '../format/strict-json.js';
import { PAYLOAD_TYPE, statementProblems, type ReleaseStatement, type Role } from '../signing/statement.js';
import type { TrustedIdentity, TrustedKey, TrustPolicy } from '../trust/policy.js';
import { verifySigstoreSignature, type ArtifactRef, type VerifiedSignature } from './sigstore-signature.js';
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
  const byKeyId = new Map(policy.keys.map((k) => [k.keyId, k]));
  const artifact: ArtifactRef = { digest: { algorithm: 'sha256', hex: manifestSha256 } };
  const result: SignatureCheckResult = { accepted: [], setAside: [] };
  const setAside = (entry: string, code: SetAsideCode, reason: string) => void result.setAside.push({ entry, code, reason });

  for (const [entry, bytes] of signatures) {
    const bundle = parseSignatureBundle(entry, bytes);
    const material = bundle.verificationMaterial.content;
    let signer: { trusted: TrustedKey | TrustedIdentity; verified: VerifiedSignature; what: string; principal: string };
    if (material.$case === 'publicKey') {
      const key = byKeyId.get(material.publicKey.hint);
      if (!key) {
        setAside(entry, 'SIGNER_UNKNOWN', `${entry} is signed by key ${material.publicKey.hint.slice(0, 16)}…, which the trust policy does not name`);
        continue;
      }
      const what = `key "${key.id}"`;
      const verified = withEntry(entry, what, () => verifySigstoreSignature(bundle, artifact, { kind: 'key', id: key.id, publicKey: key.publicKey, timestampAuthorities: policy.timestampAuthorities }, now));
      signer = { trusted: key, verified, what, principal: `key:${key.keyId}` };
    } else {
      const found = findIdentity(entry, bundle, artifact, policy.identities, now);
      if ('unknown' in found) {
        setAside(entry, 'SIGNER_UNKNOWN', found.unknown);
        continue;
      }
      const { identity, verified } = found;
      signer = { trusted: identity, verified, what: `identity "${identity.id}"`, principal: `identity:${identity.authority.id}|${verified.issuer}|${verified.identity}` };
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
  return result;
}

const earliest = (times: readonly Date[]): string => new Date(Math.min(...times.map((t) => t.getTime()))).toISOString();

// Tries each identity the policy names; a certificate from another authority or naming someone else is not a failure.
function findIdentity(entry: string, bundle: Bundle, artifact: ArtifactRef, identities: readonly TrustedIdentity[], now: Date): { identity: TrustedIdentity; verified: VerifiedSignature } | { unknown: string } {
  const mismatches: string[] = [];
  for (const identity of identities) {
    try {
      return { identity, verified: verifySigstoreSignature(bundle, artifact, identity.authority, now, identity) };
    } catch (error) {
      if (error instanceof MigsealError && (error.code === 'SIGNER_UNKNOWN' || error.code === 'SIGNER_IDENTITY_MISMATCH')) {
        if (error.code === 'SIGNER_IDENTITY_MISMATCH' && !mismatches.includes(error.message)) mismatches.push(error.message);
        continue;
      }
      throw rewrap(entry, `identity "${identity.id}"`, error);
    }
  }
  const why = mismatches[0] ? ` (${mismatches[0].replace(/\.$/, '')})` : identities.length === 0 ? ' (the policy names no identities)' : ' (no certificate authority in the policy issued it)';
  return { unknown: `${entry} is signed with a certificate whose identity the trust policy does not name${why}` };
}

function withEntry<T>(entry: string, what: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw rewrap(entry, what, error);
  }
}

function rewrap(entry: string, what: string, error: unknown): MigsealError {
  if (error instanceof MigsealError) {
    const message =
      error.code === 'SIGNATURE_INVALID'
        ? `The signature ${entry} by ${what} does not verify: ${error.message.replace(/^The signature /, 'the signature ')}`
        : error.code === 'SIGNATURE_SUBJECT_MISMATCH'
          ? `The signature ${entry} by ${what} is for another manifest, not this one.`
          : `The signature ${entry} by ${what}: ${error.message}`;
    return new MigsealError(error.code, message, { cause: error });
  }
  return new MigsealError('SIGNATURE_INVALID', `The signature ${entry} could not be checked: ${(error as Error).message}.`, { cause: error });
}

function parseSignatureBundle(entry: string, bytes: Buffer): Bundle {
  try {
    const bundle = bundleFromJSON(parseStrictJson(decodeUtf8Strict(bytes)));
    if (bundle.content.$case !== 'dsseEnvelope') throw new Error('not a DSSE bundle');
    if (bundle.content.dsseEnvelope.payloadType !== PAYLOAD_TYPE) throw new Error(`payload type is not ${PAYLOAD_TYPE}`);
    if (bundle.content.dsseEnvelope.signatures.length !== 1) throw new Error('a DSSE envelope must carry exactly one signature');
    return bundle;
  } catch (error) {
    throw new MigsealError('SIGNATURE_MALFORMED', `The signature ${entry} is not a valid Sigstore DSSE bundle: ${(error as Error).message}.`, { cause: error });
  }
}

function parseStatement(entry: string, payload: Buffer): ReleaseStatement {
  let value: unknown;
  try {
    value = parseStrictJson(decodeUtf8Strict(payload));
  } catch (error) {
    throw new MigsealError('SIGNATURE_MALFORMED', `The statement in ${entry} is not strict JSON: ${(error as Error).message}.`, { cause: error });
  }
  const problems = statementProblems(value);
  if (problems.length > 0) throw new MigsealError('SIGNATURE_MALFORMED', `The statement in ${entry} is not a migseal release statement: ${problems.join('; ')}.`);
  return value as ReleaseStatement;
}

export { withinWindow } from './signer-window.js';
