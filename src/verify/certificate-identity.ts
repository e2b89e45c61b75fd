/**
 * Who a signing certificate names, and whether that is exactly who the policy expects: the
 * SAN (URI or email) and the Fulcio issuer extension, compared as strings. A pattern is
 * used only when the policy opted in, and it is compiled anchored (see trust/identities.ts).
 */
import type { Bundle } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { MigsealError } from '../errors.js';
import type { ValidityAt } from '../trust/signer-authority.js';
import type { VerifiedSignature } from './sigstore-signature.js';

const OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';

/** Who must have signed: the exact SAN (or an anchored pattern, only if the policy opts in) and the exact issuer. */
export interface ExpectedIdentity {
  identity?: string;
  identityPattern?: RegExp;
  issuer: string;
  validityAt?: ValidityAt;
}

/** Checks the certificate names exactly the expected identity and issuer. */
export function checkIdentity(verified: VerifiedSignature, expected: ExpectedIdentity | undefined): VerifiedSignature {
  if (!expected) throw new MigsealError('SIGNER_IDENTITY_MISMATCH', 'A certificate signature can only be accepted for an expected identity and issuer.');
  const { identity, issuer } = verified;
  const identityOk = identity !== undefined && (expected.identityPattern ? expected.identityPattern.test(identity) : identity === expected.identity);
  if (!identityOk || issuer !== expected.issuer) {
    throw new MigsealError(
      'SIGNER_IDENTITY_MISMATCH',
      `The certificate names identity "${identity ?? '(none)'}" from issuer "${issuer ?? '(none)'}", not "${expected.identity ?? expected.identityPattern?.source}" from "${expected.issuer}".`,
    );
  }
  return verified;
}

export function leafOf(bundle: Bundle): X509Certificate | undefined {
  const m = bundle.verificationMaterial.content;
  const raw = m.$case === 'certificate' ? m.certificate.rawBytes : m.$case === 'x509CertificateChain' ? m.x509CertificateChain.certificates[0]?.rawBytes : undefined;
  if (!raw) return undefined;
  try {
    return X509Certificate.parse(Buffer.from(raw));
  } catch (error) {
    throw new MigsealError('SIGNATURE_MALFORMED', 'The signing certificate is not valid DER.', { cause: error });
  }
}

export function identityOf(cert: X509Certificate): { identity?: string; issuer?: string } {
  const v2 = cert.extension(OID_ISSUER_V2);
  const issuer = v2 ? v2.valueObj.subs[0]?.value.toString('utf8') : cert.extension(OID_ISSUER_V1)?.value.toString('utf8');
  return { ...(cert.subjectAltName !== undefined && { identity: cert.subjectAltName }), ...(issuer !== undefined && { issuer }) };
}
