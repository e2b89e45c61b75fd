/**
 * What an audit report states, as plain data: the same facts feed the HTML page, the text
 * summary and --json. Every section says whether its content is verified (checked against
 * the host's trust policy) or only claimed (read from the bundle, trusting nothing).
 */
import type { FindingAction } from '../trust/findings-policy.js';
import type { MigrationState } from '../apply/history.js';
import type { ManifestFinding } from '../format/manifest.js';

export type Trust = 'verified' | 'claimed';

export interface AuditFacts {
  format: 'migseal.audit/v1';
  /** When the report was made (SOURCE_DATE_EPOCH when set, for reproducible pages). */
  generatedAt: string;
  generatedAtSource: 'clock' | 'SOURCE_DATE_EPOCH';
  bundle: { path: string; size: number };
  verification: VerificationFacts;
  /** Absent when the bundle could not even be read (a refused, malformed archive). */
  release?: ReleaseFacts;
  signatures: SignatureFacts;
  provenance?: ProvenanceFacts;
  migrations: MigrationFacts[];
  /** Findings on files that no migration names (rare: a layout's helper files). */
  otherFindings: FindingFacts[];
  database?: DatabaseFacts;
}

export type VerificationFacts =
  /** stale: the release verifies, but is past its signed expiry, so hosts refuse to apply it (BUNDLE_EXPIRED's message). */
  | { outcome: 'verified'; environment: string; policy: string; stale?: string }
  | { outcome: 'claimed' }
  | { outcome: 'refused'; environment?: string; policy?: string; code: string; exitCode: number; message: string };

export interface ReleaseFacts {
  trust: Trust;
  project: string;
  release: string;
  /** SHA-256 of manifest.json: the release identity. */
  digest: string;
  dialect: string;
  layout: string;
  createdAt: string;
  expiresAt?: string;
  files: number;
  /** Whether every file's bytes match the manifest's sizes and digests. */
  filesMatch: boolean;
  analysis?: { tool: string; dialect: string };
}

export interface SignatureFacts {
  trust: Trust;
  /** Signatures that count: verified against the policy, or (claimed) every readable one. */
  signers: SignerFacts[];
  /** Signatures that verified nothing the policy trusts, or (claimed) could not be read. */
  setAside: Array<{ entry: string; code?: string; reason: string }>;
}

export interface SignerFacts {
  entry: string;
  role?: string;
  /** The policy's name for the key or identity (verified only). */
  policyId?: string;
  keyId?: string;
  identity?: IdentityFacts;
  /** Signing time vouched for by a verified transparency log entry or timestamp. */
  signedAt?: string;
}

/**
 * A certificate's SAN and issuer, and the policy's certificate authority that vouched for it.
 * Verified: always identity, issuer and authority. Claimed: whatever the certificate names.
 */
export interface IdentityFacts {
  identity?: string;
  issuer?: string;
  authority?: string;
}

/**
 * Where the release came from: the manifest's own claims (`source`, `builder`), the signed
 * SLSA build provenance, and what the environment's policy requires of it.
 */
export interface ProvenanceFacts {
  trust: Trust;
  /** The manifest's claims. */
  source: { repository?: string; commit?: string; dirty?: boolean };
  builder: { id: string };
  /** The signed build provenance. Verified: the one the policy accepts, if any. Claimed: every readable one. Empty: none. */
  statements: BuildProvenanceFacts[];
  /** Provenances that count for nothing: signed by no one the policy accepts, or (claimed) unreadable. */
  setAside: Array<{ entry: string; code?: string; reason: string }>;
  /** Where a claimed provenance names another builder, source repository or commit than the manifest (verify refuses that). */
  disagreements: ProvenanceDisagreement[];
  /** The environment's requirement, when a trust policy was read and names the environment. */
  requirement?: ProvenanceRequirementFacts;
}

export interface BuildProvenanceFacts {
  trust: Trust;
  /** The archive entry, e.g. attestations/1a2b….sigstore.json. */
  entry: string;
  buildType?: string;
  builderId: string;
  sourceRepository?: string;
  sourceRef?: string;
  sourceCommit?: string;
  /** The CI run that built it, e.g. https://github.com/acme/shop/actions/runs/42/attempts/1. */
  invocationId?: string;
  signer: { policyId?: string; keyId?: string; identity?: IdentityFacts };
  /** Why a claimed provenance cannot count (it is about another manifest). */
  problem?: string;
}

export interface ProvenanceDisagreement {
  field: 'builder' | 'source repository' | 'source commit';
  provenance?: string;
  manifest?: string;
}

export interface ProvenanceRequirementFacts {
  environment: string;
  /** False: the environment accepts a bundle without a provenance. */
  required: boolean;
  builderId?: string;
  /** Anchored regular expressions, as the policy compiled them. */
  builderIdPattern?: string;
  sourceRepository?: string;
  sourceRepositoryPattern?: string;
  /** The builder must be the certificate identity that signed the provenance. */
  builderIsSigner?: boolean;
  /**
   * Required only. met: the verified provenance satisfies it; not-met: the bundle was refused
   * for it (PROVENANCE_REQUIRED); not-checked: the bundle was refused for something else first.
   */
  status?: 'met' | 'not-met' | 'not-checked';
}

export interface MigrationFacts {
  trust: Trust;
  key: string;
  version: string;
  name: string;
  /** Absent when the up is empty (a golang-migrate version with only a down file). */
  up?: FileFacts;
  down?: FileFacts;
  transactional: boolean;
  repeatable: boolean;
  runner: 'sql' | 'native';
  /** SHA-256 of the up script as the database records it (absent when the bundle lacks its file). */
  checksum?: string;
  findings: FindingFacts[];
}

export interface FileFacts {
  path: string;
  sha256: string;
  size: number;
}

export interface FindingFacts extends ManifestFinding {
  /** What the environment's policy decided (verified bundles only). */
  decision?: { action: FindingAction; because: string };
}

/** How a migration in the bundle compares with the database. */
export type Comparison = 'match' | 'drift' | 'pending' | 'dirty' | 'not-in-bundle';

export interface DatabaseFacts {
  url: string;
  dialect: string;
  /** False when migseal never wrote to this database. */
  exists: boolean;
  /** The newest release wholly applied. */
  marker?: { project: string; release: string; bundleDigest: string; updatedAt: string };
  /** A newer release whose run failed part-way: "release 3: 1 of 2 applied, 1 dirty". */
  partial?: { release: string; applied: number; dirty: number; total?: number; text: string };
  /** Whether migseal's history chain holds (checked before anything else was read: a broken one is refused). */
  chain?: string;
  /** The schema fingerprint the last run recorded, and whether the live schema still matches it. */
  schema?: { recorded: { runId: string; recordedAt: string; sha256: string }; live: string; matches: boolean; drift?: string };
  counts: Record<Comparison, number>;
  entries: DatabaseEntry[];
  runs: RunFacts[];
}

export interface DatabaseEntry {
  key: string;
  version: string;
  name: string;
  comparison: Comparison;
  /** The bundle's checksum for this migration, when the bundle has it. */
  bundleChecksum?: string;
  applied?: {
    state: MigrationState;
    checksum: string;
    release: string;
    bundleDigest: string;
    at: string;
    by: string;
    durationMs: number;
    runId: string;
    host?: string;
    environment?: string;
    command?: string;
    note?: string;
  };
}

export interface RunFacts {
  runId: string;
  command: string;
  outcome: string;
  startedAt: string;
  finishedAt?: string;
  release?: string;
  bundleDigest?: string;
  environment?: string;
  host: string;
  osUser: string;
  signers: string[];
  error?: string;
  reason?: string;
}
