/**
 * Verifies a bundle completely, in memory, before anything may use it. Each step is one
 * check from the threat list; the first that fails refuses the bundle with a coded error. The ids (T1.1...) are the
 * rows of docs/threats.md.
 */
import { MigsealError } from '../errors.js';
import { decodeBundle, type BundleContents, type BundleSource } from '../format/bundle-archive.js';
import { LIMITS } from '../limits.js';
import { parseManifest, type Manifest } from '../format/manifest.js';
import { sha256Hex } from '../format/digest.js';
import { DEFAULT_ENVIRONMENT, type TrustPolicy } from '../trust/policy.js';
import { checkSignatures, type AcceptedSignature, type SignatureCheckResult } from './check-signatures.js';
import { checkThresholds } from './check-thresholds.js';
import { checkStatementsMatchManifest } from './check-statements-match-manifest.js';
import { checkFileSet } from '../format/check-file-set.js';
import { checkFileDigests, checkFileHashes } from '../format/check-file-digests.js';
import { checkTarget } from './check-target.js';
import { checkExpiry } from './check-expiry.js';
import { checkFindings, type FindingScope, type FindingVerdict } from './check-findings.js';
import { checkProvenance, type VerifiedProvenance } from './check-provenance.js';
import { checkProvenanceMatchesManifest } from './check-provenance-matches-manifest.js';
import { checkProvenancePolicy } from './check-provenance-policy.js';
import { checkRehearsal, type RehearsalEvidence } from './check-rehearsal.js';
import { splitAttestations } from '../format/rehearsal-statement.js';

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
  /**
   * The database's dialect and the scripts about to run, when the bundle is verified to run:
   * only those findings are judged, and the analysis must have covered them.
   */
  findings?: FindingScope;
  /** check (the default): the environment's requireRehearsal applies. ignore: rehearse itself verifies a release not yet rehearsed. */
  rehearsal?: 'check' | 'ignore';
  /**
   * keep (the default): the verified bytes of every file are returned, to be run. hash: a caller
   * that runs nothing (`migseal verify`) checks every file's size and SHA-256 in one read of the
   * archive and holds no file's bytes; `files` is then empty.
   */
  files?: 'keep' | 'hash';
}

export interface VerifiedBundle {
  /** The release identity: SHA-256 of manifest.json's exact bytes. */
  digest: string;
  manifest: Manifest;
  manifestBytes: Buffer;
  /** The verified bytes of every file, keyed by manifest path (empty with `files: 'hash'`). Run these, never a copy on disk. */
  files: ReadonlyMap<string, Buffer>;
  signers: AcceptedSignature[];
  /** Signatures, and a provenance, by signers the policy does not accept (entry, code, reason). */
  notCounted: SignatureCheckResult['setAside'];
  environment: string;
  /** Each analysis finding with what the environment's policy decided (all allowed or approved). */
  findings: FindingVerdict[];
  /** Which findings were judged: for which dialect (every one when unknown) and which scripts. */
  judged: { dialect?: 'postgres' | 'sqlite'; direction: 'up' | 'down' };
  /**
   * The build provenance, verified: its signer is trusted in the release role, it is about this
   * manifest, and it agrees with it. Absent when the bundle has none or its signer is not accepted.
   */
  provenance?: VerifiedProvenance;
  /** The rehearsal statements the bundle carries, each with why it does not count (if it does not). */
  rehearsals: RehearsalEvidence[];
  /** What the environment's policy does when the live schema drifted from the last recorded fingerprint. */
  onDrift: 'refuse' | 'warn';
  /** With expiry: 'report', why apply would refuse this release as stale (BUNDLE_EXPIRED's message). */
  stale?: string;
}

/** `bundle` is the bundle's bytes, or a source that streams them (a file, say): then only the files are kept in memory. */
export async function verifyBundle(bundle: Buffer | BundleSource, options: VerifyOptions): Promise<VerifiedBundle> {
  const { policy } = options;
  const environment = options.environment ?? DEFAULT_ENVIRONMENT;
  const now = options.now ?? new Date();
  const rule = policy.environments[environment];
  if (!rule && options.environment === undefined) {
    // Not a refusal: the command line left out what this policy needs.
    throw new MigsealError('USAGE', `--env is required: the trust policy has no "default" environment; name one of ${Object.keys(policy.environments).join(', ')}.`);
  }
  // T1.13: the environment is one the policy defines.
  if (!rule) {
    throw new MigsealError('ENVIRONMENT_UNKNOWN', `The trust policy has no environment "${environment}" (it has ${Object.keys(policy.environments).join(', ')}).`);
  }

  // T2.1-T2.9: the archive is well-formed, within limits, and holds only plain files at safe paths (files are hashed on the way).
  // T5.19: until a signature is trusted, at most LIMITS.maxUntrustedFileBytes of files are held; the rest is only counted
  // (and hashed when read again, once trusted). A caller that needs no bytes has every file hashed now and none held.
  const hashOnly = options.files === 'hash';
  const first = await decodeBundle(bundle, { hash: true, admitFile: hashOnly ? () => 'hash' : untrustedBudget() });
  // The manifest was hashed as it was read: hashing its bytes again cost as much (about 5 ms for 1,000 migrations).
  const digest = first.manifestSha256 ?? sha256Hex(first.manifestBytes);
  // T1.1-T1.5, T1.15-T1.17, T1.20-T1.21: signatures verify against trusted keys and name this exact manifest.
  const signatures = checkSignatures(first.signatures, digest, policy, now);
  // T1.18-T1.19: enough distinct trusted keys signed in each role the environment requires.
  checkThresholds(signatures, rule, environment);
  // T1.23: a build provenance, if any, is signed by a trusted release signer and names this exact manifest.
  const { rehearsals, others } = splitAttestations(first.attestations);
  const provenance = checkProvenance(others, digest, policy, now);
  // T3.1-T3.4: only now is the signed manifest parsed, strictly.
  const manifest = parseManifest(first.manifestBytes);
  // T5.19: files left unread for want of trust are read now, each only at the size the signed manifest gives it.
  const contents = hashOnly || first.notKept.size === 0 ? first : await readSignedFiles(bundle, digest, manifest);
  // T1.8: every signer attested this project and release.
  checkStatementsMatchManifest(signatures.accepted, manifest);
  // T1.24: the provenance says what the manifest says: builder, source repository and commit.
  checkProvenanceMatchesManifest(provenance.provenance, manifest);
  // T1.7, T1.6: the archive holds exactly the files the manifest names, each with its signed size and digest.
  checkFileSet(withNames(contents.files, contents.notKept), manifest);
  if (hashOnly) checkFileHashes(contents.notKept, contents.digests!, manifest);
  else {
    checkNotKeptSizes(contents.notKept, manifest);
    checkFileDigests(contents.files, manifest, contents.digests);
  }
  // T1.11-T1.12, T1.14: the bundle is for this host's project and dialect, and not past its signed expiry.
  checkTarget(manifest, policy);
  const stale = expiryOutcome(() => checkExpiry(manifest, rule, environment, now), options.expiry ?? 'refuse');
  // T1.26, T5.1, T5.6: every analysis finding signed into the manifest for what will run here (this dialect, these
  // scripts) is allowed, or approved by a signature.
  const findings = checkFindings(manifest, rule, signatures.accepted, environment, options.findings);
  // T1.25: the environment's required builder and source repository are the ones the verified provenance names.
  checkProvenancePolicy(provenance, rule, environment);
  // T1.27: a rehearsal on a scratch database passed, signed by a signer in the role the environment requires.
  const rehearsalEvidence = options.rehearsal === 'ignore' ? [] : checkRehearsal(rehearsals, digest, manifest, policy, rule, environment, now);

  return {
    digest,
    manifest,
    manifestBytes: first.manifestBytes,
    files: contents.files,
    signers: signatures.accepted,
    notCounted: [...signatures.setAside, ...provenance.setAside],
    environment,
    onDrift: rule.onDrift,
    rehearsals: rehearsalEvidence,
    findings,
    judged: { ...(options.findings?.dialect && { dialect: options.findings.dialect }), direction: options.findings?.direction ?? 'up' },
    ...(provenance.provenance && { provenance: provenance.provenance }),
    ...(stale !== undefined && { stale }),
  };
}

/** Keeps files until their total would pass LIMITS.maxUntrustedFileBytes; later ones are only counted (their bytes are read again once trusted). */
function untrustedBudget(): (name: string, size: number) => 'keep' | 'count' {
  let held = 0;
  return (_name, size) => {
    if (held + size > LIMITS.maxUntrustedFileBytes) return 'count';
    held += size;
    return 'keep';
  };
}

/**
 * Reads the bundle again once its manifest is trusted, keeping only files the manifest names at
 * their signed size (any other is hashed, and refused below). The manifest must be the one the
 * signatures were checked over: a file replaced between the two reads is refused.
 */
async function readSignedFiles(bundle: Buffer | BundleSource, digest: string, manifest: Manifest): Promise<BundleContents> {
  const sizes = new Map(manifest.files.map((f) => [f.path, f.size]));
  const again = await decodeBundle(bundle, { hash: true, admitFile: (name, size) => (sizes.get(name) === size ? 'keep' : 'count') });
  if ((again.manifestSha256 ?? sha256Hex(again.manifestBytes)) !== digest) throw new MigsealError('IO', 'The bundle file changed while it was being verified; verify it again.');
  return again;
}

const NOT_KEPT = Buffer.alloc(0);

/** The files present, kept or not, for the file-set check (which looks only at names): one empty buffer stands for every file not kept. */
function withNames(files: ReadonlyMap<string, Buffer>, notKept: ReadonlyMap<string, number>): ReadonlyMap<string, Buffer> {
  if (notKept.size === 0) return files;
  const all = new Map(files);
  for (const name of notKept.keys()) all.set(name, NOT_KEPT);
  return all;
}

/** A file named by the manifest but not kept had another size than the signed one. */
function checkNotKeptSizes(notKept: ReadonlyMap<string, number>, manifest: Manifest): void {
  for (const expected of manifest.files) {
    const size = notKept.get(expected.path);
    if (size !== undefined) throw new MigsealError('FILE_DIGEST_MISMATCH', `The file ${expected.path} is ${size} bytes, but the signed manifest says ${expected.size}.`);
  }
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
