/**
 * Verifies a bundle completely, in memory, before anything may use it. Each step is one
 * check from the threat list; the first that fails refuses the bundle with a coded error.
 */
import { MigsealError } from '../errors.js';
import { decodeBundle, type BundleSource } from '../format/bundle-archive.js';
import { parseManifest, type Manifest } from '../format/manifest.js';
import { sha256Hex } from '../format/digest.js';
import { DEFAULT_ENVIRONMENT, type TrustPolicy } from '../trust/policy.js';
import { checkSignatures, type AcceptedSignature, type SignatureCheckResult } from './check-signatures.js';
import { checkThresholds } from './check-thresholds.js';
import { checkStatementsMatchManifest } from './check-statements-match-manifest.js';
import { checkFileSet } from './check-file-set.js';
import { checkFileDigests } from './check-file-digests.js';
import { checkTarget } from './check-target.js';
import { checkExpiry } from './check-expiry.js';
import { checkFindings, type FindingVerdict } from './check-findings.js';
import { checkProvenance, type VerifiedProvenance } from './check-provenance.js';
import { checkProvenanceMatchesManifest } from './check-provenance-matches-manifest.js';
import { checkProvenancePolicy } from './check-provenance-policy.js';

export interface VerifyOptions {
  policy: TrustPolicy;
  environment?: string;
  now?: Date;
  /**
   * refuse (the default, and always for running a bundle): a release past its signed expiry,
   * or without one where the environment requires it, is refused. report: for reviewing a past
   * release (audit, diff), everything else is verified and `stale` says why a host would refuse it.
   */
  expiry?: 'refuse' | 'report';
}

export interface VerifiedBundle {
  /** The release identity: SHA-256 of manifest.json's exact bytes. */
  digest: string;
  manifest: Manifest;
  manifestBytes: Buffer;
  /** The verified bytes of every file, keyed by manifest path. Run these, never a copy on disk. */
  files: ReadonlyMap<string, Buffer>;
  signers: AcceptedSignature[];
  /** Signatures, and a provenance, by signers the policy does not accept (entry, code, reason). */
  notCounted: SignatureCheckResult['setAside'];
  environment: string;
  /** Each analysis finding with what the environment's policy decided (all allowed or approved). */
  findings: FindingVerdict[];
  /**
   * The build provenance, verified: its signer is trusted in the release role, it is about this
   * manifest, and it agrees with it. Absent when the bundle has none or its signer is not accepted.
   */
  provenance?: VerifiedProvenance;
  /** With expiry: 'report', why apply would refuse this release as stale (BUNDLE_EXPIRED's message). */
  stale?: string;
}

/** `bundle` is the bundle's bytes, or a source that streams them (a file, say): then only the files are kept in memory. */
export async function verifyBundle(bundle: Buffer | BundleSource, options: VerifyOptions): Promise<VerifiedBundle> {
  const { policy } = options;
  const environment = options.environment ?? DEFAULT_ENVIRONMENT;
  const now = options.now ?? new Date();
  const rule = policy.environments[environment];
  if (!rule) {
    throw new MigsealError('ENVIRONMENT_UNKNOWN', `The trust policy has no environment "${environment}" (it has ${Object.keys(policy.environments).join(', ')}).`);
  }

  // The archive is well-formed, within limits, and holds only plain files at safe paths (files are hashed on the way).
  const contents = await decodeBundle(bundle, { hash: true });
  const digest = sha256Hex(contents.manifestBytes);
  // Signatures verify against trusted keys and name this exact manifest.
  const signatures = checkSignatures(contents.signatures, digest, policy, now);
  // Enough distinct trusted keys signed in each role the environment requires.
  checkThresholds(signatures, rule, environment);
  // A build provenance, if any, is signed by a trusted release signer and names this exact manifest.
  const provenance = checkProvenance(contents.attestations, digest, policy, now);
  // Only now is the signed manifest parsed, strictly.
  const manifest = parseManifest(contents.manifestBytes);
  // Every signer attested this project and release.
  checkStatementsMatchManifest(signatures.accepted, manifest);
  // The provenance says what the manifest says: builder, source repository and commit.
  checkProvenanceMatchesManifest(provenance.provenance, manifest);
  // The archive holds exactly the files the manifest names, each with its signed size and digest.
  checkFileSet(contents.files, manifest);
  checkFileDigests(contents.files, manifest, contents.digests);
  // The bundle is for this host's project and dialect, and not past its signed expiry.
  checkTarget(manifest, policy);
  const stale = expiryOutcome(() => checkExpiry(manifest, rule, environment, now), options.expiry ?? 'refuse');
  // Every analysis finding signed into the manifest is allowed here, or approved by a signature.
  const findings = checkFindings(manifest, rule, signatures.accepted, environment);
  // The environment's required builder and source repository are the ones the verified provenance names.
  checkProvenancePolicy(provenance, rule, environment);

  return {
    digest,
    manifest,
    manifestBytes: contents.manifestBytes,
    files: contents.files,
    signers: signatures.accepted,
    notCounted: [...signatures.setAside, ...provenance.setAside],
    environment,
    findings,
    ...(provenance.provenance && { provenance: provenance.provenance }),
    ...(stale !== undefined && { stale }),
  };
}

/** Runs the expiry check; when only reporting, a BUNDLE_EXPIRED refusal becomes its message. */
function expiryOutcome(check: () => void, mode: 'refuse' | 'report'): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    if (mode === 'report' && error instanceof MigsealError && error.code === 'BUNDLE_EXPIRED') return error.message;
    throw error;
  }
}
