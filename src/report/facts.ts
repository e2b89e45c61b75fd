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
  | { outcome: 'verified'; environment: string; policy: string }
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
  identity?: { identity: string; issuer: string; authority?: string };
  /** Signing time vouched for by a verified transparency log entry or timestamp. */
  signedAt?: string;
}

/**
 * Where the release came from. A signed provenance statement, when bundles carry one, adds
 * its own field here beside the manifest's claims.
 */
export interface ProvenanceFacts {
  trust: Trust;
  source: { repository?: string; commit?: string; dirty?: boolean };
  builder: { id: string };
}

export interface MigrationFacts {
  trust: Trust;
  key: string;
  version: string;
  name: string;
  up: FileFacts;
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
  marker?: { project: string; release: string; bundleDigest: string; updatedAt: string };
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
