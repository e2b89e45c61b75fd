/**
 * Who signed one Sigstore bundle file, as the trust policy knows them: the key its hint
 * names, or the first certificate identity it verifies for. The signature is checked
 * cryptographically here and the DSSE subject compared with the expected digest; a signer
 * the policy does not name is reported, not trusted. Shared by release signatures and
 * attestations, so both are judged by exactly the same rules.
 */
import { createPublicKey } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { keyIdOf } from '../format/public-key.js';
import { leafOf } from './certificate-identity.js';
import { MigsealError } from '../errors.js';
import { decodeUtf8Strict, parseStrictJson } from '../format/strict-json.js';
import { PAYLOAD_TYPE } from '../format/statement.js';
import type { TrustedIdentity, TrustedKey, TrustPolicy } from '../trust/policy.js';
import { verifySigstoreSignature, type ArtifactRef, type VerifiedSignature } from './sigstore-signature.js';
import { parseSigstoreBundle } from './sigstore-bundle.js';

export interface PolicySigner {
  trusted: TrustedKey | TrustedIdentity;
  verified: VerifiedSignature;
  /** For messages: `key "release-2026"` or `identity "release-ci"`. */
  what: string;
  /** Who signed, for counting distinct signers: the key id, or the certificate's authority, issuer and identity. */
  principal: string;
  /** The canonical id of the key that made the signature (the policy key's, or the certificate's). */
  signingKeyId: string;
}

/** Verifies `bytes` (the archive entry `entry`) over `manifestSha256`; `{ unknown }` says why no policy signer matched. */
export function verifyPolicySigner(entry: string, bytes: Buffer, manifestSha256: string, policy: TrustPolicy, now: Date): PolicySigner | { unknown: string } {
  const bundle = parseSignatureBundle(entry, bytes);
  const artifact: ArtifactRef = { digest: { algorithm: 'sha256', hex: manifestSha256 } };
  const material = bundle.verificationMaterial.content;
  if (material.$case === 'publicKey') {
    const key = policy.keys.find((k) => k.keyId === material.publicKey.hint);
    if (!key) return { unknown: `${entry} is signed by key ${material.publicKey.hint.slice(0, 16)}…, which the trust policy does not name` };
    const what = `key "${key.id}"`;
    const verified = withEntry(entry, what, () => verifySigstoreSignature(bundle, artifact, { kind: 'key', id: key.id, publicKey: key.publicKey, timestampAuthorities: policy.timestampAuthorities }, now));
    return { trusted: key, verified, what, principal: `key:${key.keyId}`, signingKeyId: key.keyId };
  }
  const found = findIdentity(entry, bundle, artifact, policy.identities, now);
  if ('unknown' in found) return found;
  const { identity, verified } = found;
  return {
    trusted: identity,
    verified,
    what: `identity "${identity.id}"`,
    principal: `identity:${identity.authority.id}|${verified.issuer}|${verified.identity}`,
    signingKeyId: certificateKeyId(bundle),
  };
}

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

// The certificate verified, so its key parses; its canonical id lets a key listed both bare and in a certificate count once.
function certificateKeyId(bundle: Bundle): string {
  const leaf = leafOf(bundle);
  if (!leaf) throw new MigsealError('SIGNATURE_MALFORMED', 'A certificate signature carries no certificate.');
  return keyIdOf(createPublicKey({ key: leaf.publicKey, format: 'der', type: 'spki' }));
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
  const bundle = parseSigstoreBundle(bytes, `The signature ${entry}`);
  const problem =
    bundle.content.$case !== 'dsseEnvelope'
      ? 'not a DSSE bundle'
      : bundle.content.dsseEnvelope.payloadType !== PAYLOAD_TYPE
        ? `payload type is not ${PAYLOAD_TYPE}`
        : bundle.content.dsseEnvelope.signatures.length !== 1
          ? 'a DSSE envelope must carry exactly one signature'
          : undefined;
  if (problem) throw new MigsealError('SIGNATURE_MALFORMED', `The signature ${entry} is not a valid Sigstore DSSE bundle: ${problem}.`);
  return bundle;
}

/** Parses a verified DSSE payload with the strict parser; garbage becomes SIGNATURE_MALFORMED. */
export function parsePayload(entry: string, payload: Buffer): unknown {
  try {
    return parseStrictJson(decodeUtf8Strict(payload));
  } catch (error) {
    throw new MigsealError('SIGNATURE_MALFORMED', `The statement in ${entry} is not strict JSON: ${(error as Error).message}.`, { cause: error });
  }
}
