/**
 * What a bundle claims, read without a trust policy: for people deciding whether to sign
 * or approve, and for auditors. Signatures are described, not trusted.
 */
import { splitAttestations } from '../format/rehearsal-statement.js';
import { bundleFromJSON } from '@sigstore/bundle';
import { decodeBundle, type BundleContents } from '../format/bundle-archive.js';
import { claimedContents } from '../format/claimed-contents.js';
import type { Manifest } from '../format/manifest.js';
import { decodeUtf8Strict, parseStrictJson } from '../format/strict-json.js';
import { statementProblems, type ReleaseStatement } from '../format/statement.js';
import { provenanceClaims, provenanceProblems, type ProvenanceClaims, type ProvenanceStatement } from '../format/provenance-statement.js';
import { claimedSigner, type CertificateClaim, type ClaimedSigner } from './claimed-signer.js';

export interface SignatureClaim {
  entry: string;
  role?: string;
  keyId?: string;
  /** What the signing certificate names (unverified). */
  certificate?: CertificateClaim;
  problem?: string;
}

/** What a provenance attestation claims, unverified. */
export interface ProvenanceClaim extends Partial<ProvenanceClaims> {
  entry: string;
  keyId?: string;
  certificate?: CertificateClaim;
  problem?: string;
}

export interface InspectReport {
  digest: string;
  manifest: Manifest;
  filesMatch: boolean;
  signatures: SignatureClaim[];
  provenance: ProvenanceClaim[];
}

export async function inspectBundle(bundle: Buffer): Promise<InspectReport> {
  return inspectContents(await decodeBundle(bundle));
}

/** The same report from a bundle already decoded (the audit needs its files too). */
export function inspectContents(contents: BundleContents): InspectReport {
  const { digest, manifest, filesMatch } = claimedContents(contents, { fileMismatch: 'report' });
  const signatures = [...contents.signatures].map(([entry, bytes]) => describeSignature(entry, bytes, digest));
  // Rehearsal statements are attestations too, about something else than the build.
  const provenance = [...splitAttestations(contents.attestations).others].map(([entry, bytes]) => describeProvenance(entry, bytes, digest));
  return { digest, manifest, filesMatch, signatures, provenance };
}

function describeProvenance(entry: string, bytes: Buffer, digest: string): ProvenanceClaim {
  const read = readStatement<ProvenanceStatement>(bytes, (value) => provenanceProblems(value).slice(0, 3));
  if (!('statement' in read)) return { entry, ...read };
  const { who, statement } = read;
  return { entry, ...who, ...provenanceClaims(statement), ...(statement.subject[0].digest.sha256 !== digest && { problem: 'about another manifest' }) };
}

/** What one signature file claims (role, key id or certificate identity), or why it cannot be read. */
export function describeSignature(entry: string, bytes: Buffer, digest: string): SignatureClaim {
  const read = readStatement<ReleaseStatement>(bytes, statementProblems);
  if (!('statement' in read)) return { entry, ...read };
  const { who, statement } = read;
  return {
    entry,
    role: statement.predicate.role,
    ...who,
    ...(statement.subject[0].digest.sha256 !== digest && { problem: 'signs another manifest' }),
  };
}

/**
 * One Sigstore bundle file read without trusting it: who it names, and its DSSE statement when
 * `problemsOf` finds nothing wrong with it; otherwise the problem, with the signer when known.
 */
function readStatement<T>(bytes: Buffer, problemsOf: (value: unknown) => string[]): { who: ClaimedSigner; statement: T } | { problem: string } | (ClaimedSigner & { problem: string }) {
  try {
    const bundle = bundleFromJSON(parseStrictJson(decodeUtf8Strict(bytes)));
    const who = claimedSigner(bundle);
    if (bundle.content.$case !== 'dsseEnvelope') return { ...who, problem: 'not a DSSE bundle' };
    const statement: unknown = parseStrictJson(decodeUtf8Strict(bundle.content.dsseEnvelope.payload));
    const problems = problemsOf(statement);
    if (problems.length) return { ...who, problem: problems.join('; ') };
    return { who, statement: statement as T };
  } catch (error) {
    return { problem: `unreadable: ${(error as Error).message}` };
  }
}
