/**
 * Checks that each signature file is a Sigstore bundle whose DSSE signature verifies
 * against a key the policy names, and whose statement's subject is this manifest's digest
 * (the DSSE path of @sigstore/verify does not compare the subject itself).
 *
 * Signatures by keys the policy does not know do not count and are reported; a signature
 * that fails cryptographically, a statement about another manifest, or any signature by a
 * revoked key refuses the whole bundle.
 */
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier, VerificationError } from '@sigstore/verify';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { MigsealError } from '../errors.js';
import { decodeUtf8Strict, parseStrictJson } from '../format/strict-json.js';
import { PAYLOAD_TYPE, statementProblems, type ReleaseStatement, type Role } from '../signing/statement.js';
import type { TrustedKey, TrustPolicy } from '../trust/policy.js';

export interface AcceptedSignature {
  entry: string;
  role: Role;
  signer: string;
  keyId: string;
  statement: ReleaseStatement;
}

export interface SignatureCheckResult {
  accepted: AcceptedSignature[];
  /** Signatures that verified nothing the policy trusts, with the reason each was set aside. */
  setAside: Array<{ entry: string; code: 'SIGNER_UNKNOWN' | 'SIGNER_OUTSIDE_VALIDITY' | 'SIGNER_ROLE_NOT_ALLOWED'; reason: string }>;
}

const EMPTY_ROOT = TrustedRoot.fromJSON({
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
});

export function checkSignatures(signatures: ReadonlyMap<string, Buffer>, manifestSha256: string, policy: TrustPolicy, now: Date): SignatureCheckResult {
  if (signatures.size === 0) throw new MigsealError('BUNDLE_UNSIGNED', 'The bundle is not signed.');
  const byKeyId = new Map(policy.keys.map((k) => [k.keyId, k]));
  const verifier = new Verifier(
    toTrustMaterial(EMPTY_ROOT, (hint) => {
      const key = byKeyId.get(hint);
      if (!key) throw new MigsealError('SIGNER_UNKNOWN', `unknown key ${hint}`);
      return { publicKey: key.publicKey, validFor: (date: Date) => withinWindow(key, date) };
    }),
    { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 },
  );

  const result: SignatureCheckResult = { accepted: [], setAside: [] };
  for (const [entry, bytes] of signatures) {
    const bundle = parseSignatureBundle(entry, bytes);
    const hint = keyHint(bundle);
    if (hint === undefined) {
      result.setAside.push({ entry, code: 'SIGNER_UNKNOWN', reason: `${entry} is signed with a certificate, which this policy does not trust` });
      continue;
    }
    const key = byKeyId.get(hint);
    if (!key) {
      result.setAside.push({ entry, code: 'SIGNER_UNKNOWN', reason: `${entry} is signed by key ${hint.slice(0, 16)}…, which the trust policy does not name` });
      continue;
    }
    try {
      verifier.verify(toSignedEntity(bundle));
    } catch (error) {
      if (error instanceof VerificationError || error instanceof MigsealError) {
        throw new MigsealError('SIGNATURE_INVALID', `The signature ${entry} by key "${key.id}" does not verify.`, { cause: error });
      }
      throw new MigsealError('SIGNATURE_INVALID', `The signature ${entry} could not be checked: ${(error as Error).message}.`, { cause: error });
    }
    const statement = parseStatement(entry, bundle);
    if (statement.subject[0].digest.sha256 !== manifestSha256) {
      throw new MigsealError('SIGNATURE_SUBJECT_MISMATCH', `The signature ${entry} by key "${key.id}" is for another manifest (${statement.subject[0].digest.sha256.slice(0, 16)}…), not this one.`);
    }
    if (key.revoked) throw new MigsealError('SIGNER_REVOKED', `The bundle is signed by key "${key.id}", which the trust policy revokes.`);
    const role = statement.predicate.role;
    if (!withinWindow(key, now)) {
      result.setAside.push({ entry, code: 'SIGNER_OUTSIDE_VALIDITY', reason: `key "${key.id}" is outside its validity window ${windowText(key)}` });
      continue;
    }
    if (!key.roles.includes(role)) {
      result.setAside.push({ entry, code: 'SIGNER_ROLE_NOT_ALLOWED', reason: `key "${key.id}" signed as ${role} but the policy allows it only ${key.roles.join(', ')}` });
      continue;
    }
    result.accepted.push({ entry, role, signer: key.id, keyId: key.keyId, statement });
  }
  return result;
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

function keyHint(bundle: Bundle): string | undefined {
  const material = bundle.verificationMaterial.content;
  return material.$case === 'publicKey' ? material.publicKey.hint : undefined;
}

function parseStatement(entry: string, bundle: Bundle): ReleaseStatement {
  const envelope = bundle.content.$case === 'dsseEnvelope' ? bundle.content.dsseEnvelope : undefined;
  let value: unknown;
  try {
    value = parseStrictJson(decodeUtf8Strict(envelope!.payload));
  } catch (error) {
    throw new MigsealError('SIGNATURE_MALFORMED', `The statement in ${entry} is not strict JSON: ${(error as Error).message}.`, { cause: error });
  }
  const problems = statementProblems(value);
  if (problems.length > 0) throw new MigsealError('SIGNATURE_MALFORMED', `The statement in ${entry} is not a migseal release statement: ${problems.join('; ')}.`);
  return value as ReleaseStatement;
}

export function withinWindow(key: TrustedKey, date: Date): boolean {
  return (!key.notBefore || date >= key.notBefore) && (!key.notAfter || date <= key.notAfter);
}

function windowText(key: TrustedKey): string {
  return `(${key.notBefore?.toISOString() ?? '…'} to ${key.notAfter?.toISOString() ?? '…'})`;
}
