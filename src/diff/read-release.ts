/**
 * One side of a diff: a release read with the strict in-memory reader. Claimed releases are
 * checked only for internal consistency (the archive holds exactly the manifest's files,
 * each with its size and SHA-256), so the diff compares what the manifests say about bytes
 * that are really there; verified releases pass `verifyBundle` in full.
 */
import type { BundleSource } from '../format/bundle-archive.js';
import { readClaimedContents } from '../format/claimed-contents.js';
import type { Manifest } from '../format/manifest.js';
import { describeSignature } from '../inspect/index.js';
import { verifyBundle, type VerifyOptions } from '../verify/index.js';

export interface ReleaseSigner {
  role: string;
  /** The policy's id for a verified signer; "key …" or "certificate" for a claimed one (its identity and issuer beside). */
  signer: string;
  keyId?: string;
  identity?: string;
  issuer?: string;
  /** Why a claimed signature cannot count (unreadable, signs another manifest, …). */
  problem?: string;
}

export interface ReleaseSide {
  /** SHA-256 of manifest.json: the release identity. */
  digest: string;
  manifest: Manifest;
  files: ReadonlyMap<string, Buffer>;
  signers: ReleaseSigner[];
  /** True only when the bundle passed verifyBundle against a trust policy. */
  verified: boolean;
  /** Verified, but a host would refuse it as stale: past its signed expiry (the refusal's message). */
  stale?: string;
}

export async function readClaimedRelease(bundle: Buffer | BundleSource): Promise<ReleaseSide> {
  const { contents, digest, manifest } = await readClaimedContents(bundle);
  const signers = [...contents.signatures].map(([entry, bytes]): ReleaseSigner => {
    const claim = describeSignature(entry, bytes, digest);
    return {
      role: claim.role ?? '?',
      signer: claim.keyId ? `key ${claim.keyId}` : claim.certificate ? 'certificate' : 'unknown signer',
      ...(claim.keyId && { keyId: claim.keyId }),
      ...(claim.certificate?.identity && { identity: claim.certificate.identity }),
      ...(claim.certificate?.issuer && { issuer: claim.certificate.issuer }),
      ...(claim.problem && { problem: claim.problem }),
    };
  });
  return { digest, manifest, files: contents.files, signers, verified: false };
}

/** Verifies a release in full to review it: one past its signed expiry still verifies, and says so in `stale`. */
export async function readVerifiedRelease(bundle: Buffer | BundleSource, options: VerifyOptions): Promise<ReleaseSide> {
  const verified = await verifyBundle(bundle, { ...options, expiry: 'report' });
  const signers = verified.signers.map((s): ReleaseSigner => ({
    role: s.role,
    signer: s.signer,
    ...(s.keyId && { keyId: s.keyId }),
    ...(s.identity && { identity: s.identity.identity, issuer: s.identity.issuer }),
  }));
  return { digest: verified.digest, manifest: verified.manifest, files: verified.files, signers, verified: true, ...(verified.stale && { stale: verified.stale }) };
}
