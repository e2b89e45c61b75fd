/**
 * Who the policy trusts to vouch for a signer: a Fulcio-style Sigstore root, an
 * organisation CA, or a plain public key; and when a certificate's validity is judged.
 * Pure data: the policy builds these, verify checks signatures against them.
 */
import type { KeyObject } from 'node:crypto';
import type { X509Certificate } from '@sigstore/core';
import type { CertificateAuthority, TransparencyLogInstance, TrustedRoot } from '@sigstore/protobuf-specs';

export type SignerAuthority =
  | { kind: 'sigstore'; id: string; trustedRoot: TrustedRoot }
  | { kind: 'ca'; id: string; certificate: X509Certificate; timestampAuthorities?: CertificateAuthority[] }
  | { kind: 'key'; id: string; publicKey: KeyObject; timestampAuthorities?: CertificateAuthority[]; transparencyLogs?: TransparencyLogInstance[] };

export type ValidityAt = 'trusted-time' | 'verification-time';
