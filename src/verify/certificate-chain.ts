/**
 * Checks that a bundle's certificates are the signer's and, at most, intermediates: a
 * self-signed certificate (a root) in the bundle is refused. Roots come from the trusted
 * root or the policy only; a bundle that ships its own invites a verifier to trust it.
 */
import type { Bundle } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { MigsealError } from '../errors.js';

export function checkNoRootInChain(bundle: Bundle): void {
  const m = bundle.verificationMaterial.content;
  const certificates = m.$case === 'x509CertificateChain' ? m.x509CertificateChain.certificates : m.$case === 'certificate' ? [m.certificate] : [];
  certificates.forEach(({ rawBytes }, i) => {
    let cert: X509Certificate;
    try {
      cert = X509Certificate.parse(Buffer.from(rawBytes));
    } catch (error) {
      throw new MigsealError('SIGNATURE_MALFORMED', `The bundle's certificate ${i + 1} is not valid DER.`, { cause: error });
    }
    if (cert.subject.equals(cert.issuer) && signsItself(cert)) {
      throw new MigsealError('SIGNATURE_MALFORMED', `The bundle carries a self-signed root certificate (certificate ${i + 1}); trust roots come only from the trusted root or the policy.`);
    }
  });
}

// A key or algorithm the check cannot use is not a root's signature; the chain check refuses it later.
function signsItself(cert: X509Certificate): boolean {
  try {
    return cert.verify();
  } catch {
    return false;
  }
}
