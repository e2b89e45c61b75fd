/**
 * One Sigstore bundle, one expected artifact, one authority: verifies the signature and
 * returns who signed and at which trusted times. A certificate's identity and issuer are
 * compared exactly with the expected ones (certificate-identity.ts).
 *
 * Three authorities: a Fulcio-style Sigstore root (certificate chain, transparency-log
 * entry and SCT required, validity checked at the log's time), an organisation CA from the
 * policy (chain checked here, validity at a trusted time or, if the policy allows it, now),
 * and a plain public key.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import type { X509Certificate } from '@sigstore/core';
import { TrustedRoot, type CertificateAuthority, type TransparencyLogInstance } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, VerificationError } from '@sigstore/verify';
import { MigsealError } from '../errors.js';
import { sha256Hex } from '../format/digest.js';
import { decodeUtf8Strict, parseStrictJson } from '../format/strict-json.js';
import { publicGoodTrustedRoot } from '../trust/sigstore-root.js';
import type { SignerAuthority } from '../trust/signer-authority.js';
import { checkIdentity, identityOf, leafOf, type ExpectedIdentity } from './certificate-identity.js';
import { checkNoRootInChain } from './certificate-chain.js';
import { trustedTimes } from './trusted-times.js';

export type { ExpectedIdentity } from './certificate-identity.js';

export type { SignerAuthority, ValidityAt } from '../trust/signer-authority.js';

/** What the signature must be over: the artifact's bytes, or (for DSSE statements) its digest. */
export type ArtifactRef = { bytes: Buffer } | { digest: { algorithm: 'sha256' | 'sha512'; hex: string } };

export interface VerifiedSignature {
  /** The certificate's SAN (URI or email) and Fulcio issuer extension; absent for keys. */
  identity?: string;
  issuer?: string;
  /** Times vouched for by a transparency log or a timestamp authority the root trusts. */
  trustedTimes: Date[];
  /** The DSSE payload, when the bundle holds one. */
  payload?: Buffer;
}

const EMPTY_ROOT = TrustedRoot.fromJSON({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] });

/**
 * Verifies `bundle` over `artifact` under `authority`. For certificates, `expected` is
 * required and compared exactly after the cryptography (never given to @sigstore/verify,
 * whose string policies are unanchored regular expressions).
 */
export function verifySigstoreSignature(bundle: Bundle, artifact: ArtifactRef, authority: SignerAuthority, now: Date, expected?: ExpectedIdentity): VerifiedSignature {
  const bytes = 'bytes' in artifact ? artifact.bytes : undefined;
  if (bundle.content.$case === 'messageSignature' && !bytes) {
    throw new MigsealError('SIGNATURE_MALFORMED', 'A message-signature bundle can only be checked against the artifact bytes, not a digest.');
  }
  checkNoRootInChain(bundle);
  const verified =
    authority.kind === 'sigstore'
      ? checkIdentity(verifyFulcio(bundle, bytes, authority), expected)
      : authority.kind === 'ca'
        ? verifyWithCa(bundle, bytes, authority, now, expected)
        : verifyKeyed(bundle, bytes, authority.publicKey, authority.timestampAuthorities, authority.transparencyLogs);
  if (bundle.content.$case === 'dsseEnvelope') checkSubject(verified.payload!, artifact);
  return verified;
}

// Checks chain to the root's Fulcio CA, SCT, inclusion in its log, and the signature. A root that lists no CT log
// (or no transparency log), a private instance with a CA and a timestamp authority, cannot require an SCT (or a log
// entry); a trusted time, from its log or its timestamp authority, is required always, and whatever a bundle carries
// is checked against the root.
function verifyFulcio(bundle: Bundle, bytes: Buffer | undefined, authority: { id: string; trustedRoot: TrustedRoot }): VerifiedSignature {
  const root = authority.trustedRoot;
  if (root.tlogs.length === 0 && (bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps.length ?? 0) === 0) {
    throw new MigsealError('TRUSTED_TIME_MISSING', `The certificate from "${authority.id}" can only be checked at a time its timestamp authority vouches for, and the signature carries no timestamp.`);
  }
  const verifier = new Verifier(toTrustMaterial(root), { tlogThreshold: root.tlogs.length > 0 ? 1 : 0, ctlogThreshold: root.ctlogs.length > 0 ? 1 : 0, timestampThreshold: 1 });
  if (bundle.verificationMaterial.content.$case === 'publicKey') throw new MigsealError('SIGNER_UNKNOWN', `The signature is made with a key, not a certificate from "${authority.id}".`);
  const signer = run(() => verifier.verify(toSignedEntity(bundle, bytes)), authority.id);
  return { identity: signer.identity?.subjectAlternativeName, issuer: signer.identity?.extensions?.issuer, trustedTimes: trustedTimes(bundle), ...payloadOf(bundle) };
}

// Checks the leaf was issued by the policy's CA, valid at the chosen time, then the signature with its key.
function verifyWithCa(bundle: Bundle, bytes: Buffer | undefined, authority: { id: string; certificate: X509Certificate; timestampAuthorities?: CertificateAuthority[] }, now: Date, expected: ExpectedIdentity | undefined): VerifiedSignature {
  const leaf = leafOf(bundle);
  if (!leaf) throw new MigsealError('SIGNER_UNKNOWN', `The signature is made with a key, not a certificate from CA "${authority.id}".`);
  const ca = authority.certificate;
  let issued = false;
  try {
    issued = ca.isCA && leaf.issuer.equals(ca.subject) && leaf.verify(ca);
  } catch {
    issued = false;
  }
  if (!issued) throw new MigsealError('SIGNER_UNKNOWN', `The signing certificate was not issued by CA "${authority.id}".`);
  const verified = checkIdentity({ ...verifyKeyed(asKeyed(bundle), bytes, createPublicKey({ key: leaf.publicKey, format: 'der', type: 'spki' }), authority.timestampAuthorities), ...identityOf(leaf) }, expected);
  const times = expected?.validityAt === 'verification-time' ? [now] : verified.trustedTimes;
  if (times.length === 0) {
    throw new MigsealError(
      'TRUSTED_TIME_MISSING',
      `The certificate from CA "${authority.id}" can only be checked at a trusted time (a timestamp or a transparency-log entry), and the signature carries none; the policy may allow checking it at verification time ("validityAt": "verification-time").`,
    );
  }
  for (const t of times) {
    if (!leaf.validForDate(t) || !ca.validForDate(t)) {
      throw new MigsealError('SIGNER_OUTSIDE_VALIDITY', `The signing certificate from CA "${authority.id}" is not valid at ${t.toISOString()} (it is valid from ${leaf.notBefore.toISOString()} to ${leaf.notAfter.toISOString()}).`);
    }
  }
  return verified;
}

// Checks the signature with a known key. Log entries present must verify against the given logs (by default
// the public-good Rekor), and timestamps against a timestamp authority the policy names; either gives a
// trusted signing time.
function verifyKeyed(bundle: Bundle, bytes: Buffer | undefined, publicKey: KeyObject, timestampAuthorities: CertificateAuthority[] = [], transparencyLogs?: TransparencyLogInstance[]): VerifiedSignature {
  const logged = bundle.verificationMaterial.tlogEntries.length > 0;
  const root: TrustedRoot = { ...EMPTY_ROOT, tlogs: logged ? (transparencyLogs ?? publicGoodTrustedRoot().tlogs) : [], timestampAuthorities };
  const verifier = new Verifier(toTrustMaterial(root, () => ({ publicKey, validFor: () => true })), { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  run(() => verifier.verify(toSignedEntity(bundle, bytes)), 'key');
  return { trustedTimes: trustedTimes(bundle), ...payloadOf(bundle) };
}

function run<T>(step: () => T, authority: string): T {
  try {
    return step();
  } catch (error) {
    const code = error instanceof VerificationError ? error.code : undefined;
    if (code === 'CERTIFICATE_ERROR') {
      throw new MigsealError('SIGNER_UNKNOWN', `The signing certificate does not chain to a valid certificate of "${authority}" at the signing time (${error instanceof Error ? error.message : 'unknown'}).`, { cause: error });
    }
    if (code === 'TIMESTAMP_ERROR') {
      throw new MigsealError('SIGNATURE_INVALID', `The signature carries a timestamp that does not verify against a timestamp authority the policy names (${error instanceof Error ? error.message : 'unknown'}).`, { cause: error });
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigsealError('SIGNATURE_INVALID', `The signature does not verify${code ? ` (${code})` : ''}: ${reason}.`, { cause: error });
  }
}

function asKeyed(bundle: Bundle): Bundle {
  return { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, content: { $case: 'publicKey', publicKey: { hint: 'certificate' } } } } as Bundle;
}

function payloadOf(bundle: Bundle): { payload?: Buffer } {
  return bundle.content.$case === 'dsseEnvelope' ? { payload: Buffer.from(bundle.content.dsseEnvelope.payload) } : {};
}

// DSSE verification ignores the artifact: the statement's subject must name it.
function checkSubject(payload: Buffer, artifact: ArtifactRef): void {
  const want = 'bytes' in artifact ? { algorithm: 'sha256', hex: sha256Hex(artifact.bytes) } : artifact.digest;
  let statement: unknown;
  try {
    statement = parseStrictJson(decodeUtf8Strict(payload));
  } catch (error) {
    throw new MigsealError('SIGNATURE_MALFORMED', `The signed statement is not strict JSON: ${(error as Error).message}.`, { cause: error });
  }
  const subjects = (statement as { subject?: unknown }).subject;
  const named = Array.isArray(subjects) && subjects.some((s) => (s as { digest?: Record<string, unknown> })?.digest?.[want.algorithm] === want.hex);
  if (!named) throw new MigsealError('SIGNATURE_SUBJECT_MISMATCH', `The signed statement does not name the artifact (${want.algorithm}:${want.hex.slice(0, 16)}…).`);
}
