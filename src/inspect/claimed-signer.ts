/**
 * Who a Sigstore bundle says signed it, read without trusting it: the public key's hint, or
 * the leaf certificate's SAN (URI or email) and Fulcio issuer extension, parsed exactly as
 * verify parses them. A certificate that does not parse is still "a certificate", no more.
 */
import type { Bundle } from '@sigstore/bundle';
import { identityOf, leafOf } from '../verify/certificate-identity.js';

export interface CertificateClaim {
  identity?: string;
  issuer?: string;
}

export type ClaimedSigner = { keyId: string } | { certificate: CertificateClaim };

export function claimedSigner(bundle: Bundle): ClaimedSigner {
  const material = bundle.verificationMaterial.content;
  if (material.$case === 'publicKey') return { keyId: material.publicKey.hint };
  return { certificate: certificateClaim(bundle) };
}

function certificateClaim(bundle: Bundle): CertificateClaim {
  try {
    const leaf = leafOf(bundle);
    return leaf ? identityOf(leaf) : {};
  } catch {
    return {};
  }
}

/** For people: "key 1a2b…", "certificate SAN (issuer ISSUER)", or "certificate" when it names nothing readable. */
export function describeClaimedSigner(s: { keyId?: string; certificate?: CertificateClaim }): string {
  if (s.keyId) return `key ${s.keyId.slice(0, 16)}…`;
  if (!s.certificate) return 'unknown signer';
  const { identity, issuer } = s.certificate;
  return `certificate${identity ? ` ${identity}` : ''}${issuer ? ` (issuer ${issuer})` : ''}`;
}
