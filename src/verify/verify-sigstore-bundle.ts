/**
 * One Sigstore bundle file checked for one artifact, outside any migseal release: the same
 * reader and verifier a release signature goes through (sigstore-bundle.ts,
 * sigstore-signature.ts), with the signer named directly instead of by a trust policy.
 * A certificate is checked against a Sigstore trusted root (by default the public-good one)
 * for an exact identity and issuer; a key, against that root's logs and timestamp authorities.
 */
import type { KeyObject } from 'node:crypto';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { publicGoodTrustedRoot } from '../trust/sigstore-root.js';
import { parseSigstoreBundle } from './sigstore-bundle.js';
import { verifySigstoreSignature, type ArtifactRef, type SignerAuthority, type VerifiedSignature } from './sigstore-signature.js';

export interface SigstoreBundleCheck {
  /** The bundle file's bytes. */
  bundle: Buffer;
  artifact: ArtifactRef;
  /** Who must have signed: a public key, or a certificate's exact identity (SAN) and OIDC issuer. */
  signer: { publicKey: KeyObject } | { identity: string; issuer: string };
  /** Default: the Sigstore public-good root shipped with @sigstore/tuf. */
  trustedRoot?: TrustedRoot;
  now?: Date;
}

export function verifySigstoreBundle(check: SigstoreBundleCheck): VerifiedSignature {
  const bundle = parseSigstoreBundle(check.bundle, 'The bundle');
  const root = check.trustedRoot ?? publicGoodTrustedRoot();
  const { signer } = check;
  const authority: SignerAuthority =
    'publicKey' in signer
      ? { kind: 'key', id: 'key', publicKey: signer.publicKey, timestampAuthorities: root.timestampAuthorities, transparencyLogs: root.tlogs }
      : { kind: 'sigstore', id: 'trusted root', trustedRoot: root };
  const expected = 'publicKey' in signer ? undefined : { identity: signer.identity, issuer: signer.issuer };
  return verifySigstoreSignature(bundle, check.artifact, authority, check.now ?? new Date(), expected);
}
