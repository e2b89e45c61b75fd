/**
 * Gathers an audit report's facts from what the command read: a verified bundle, or only
 * its claims (no trust policy, or a refusal), and optionally a database's history. Pure:
 * no files, no database, no clock.
 */
import { chainLine } from '../apply/chain-line.js';
import type { MigsealError } from '../errors.js';
import type { Manifest, ManifestFinding } from '../format/manifest.js';
import { sha256Hex } from '../format/digest.js';
import type { InspectReport } from '../inspect/index.js';
import type { VerifiedBundle } from '../verify/index.js';
import type { FindingVerdict } from '../verify/check-findings.js';
import { migrationKey, upScript } from '../apply/plan.js';
import type { History, RunRecord } from '../apply/history.js';
import type { LiveSchema } from '../apply/live-schema.js';
import { summarizeDifference } from '../fingerprint/index.js';
import type { EnvironmentRule } from '../trust/policy.js';
import type { AuditFacts, Comparison, DatabaseEntry, DatabaseFacts, FindingFacts, MigrationFacts, ProvenanceFacts, SignatureFacts, Trust, VerificationFacts } from './facts.js';
import { claimedProvenance, disagreements, isAttestation, requirementFacts, verifiedProvenance } from './provenance-facts.js';
import { describePartial, releaseState } from '../apply/release-state.js';

/** A bundle read without trusting it: inspect's claims plus the file bytes, for checksums. */
export interface BundleClaims {
  report: InspectReport;
  files: ReadonlyMap<string, Buffer>;
}

/** `rule` is the environment's rule in the trust policy, when the policy names the environment. */
export type BundleEvidence =
  | { kind: 'verified'; bundle: VerifiedBundle; policy: string; rule?: EnvironmentRule }
  | { kind: 'claimed'; claims: BundleClaims }
  | { kind: 'refused'; error: MigsealError; policy?: string; environment?: string; rule?: EnvironmentRule; claims?: BundleClaims };

export interface DatabaseEvidence {
  url: string;
  dialect: string;
  history: History;
  runs: RunRecord[];
  /** The live schema against the fingerprint the last run recorded (absent when none was recorded). */
  liveSchema?: LiveSchema;
}

export interface AuditInputs {
  bundle: { path: string; size: number };
  evidence: BundleEvidence;
  database?: DatabaseEvidence;
  generatedAt: Date;
  generatedAtSource: AuditFacts['generatedAtSource'];
}

export function gatherFacts(inputs: AuditInputs): AuditFacts {
  const { evidence } = inputs;
  const trust: Trust = evidence.kind === 'verified' ? 'verified' : 'claimed';
  const source = evidence.kind === 'verified' ? { manifest: evidence.bundle.manifest, digest: evidence.bundle.digest, files: evidence.bundle.files, filesMatch: true } : claimedSource(evidence);
  const verdicts = evidence.kind === 'verified' ? evidence.bundle.findings : undefined;
  const migrations = source ? migrationFacts(source.manifest, source.files, trust, verdicts) : [];
  const named = new Set(migrations.flatMap((m) => [...(m.up ? [m.up.path] : []), ...(m.down ? [m.down.path] : [])]));
  return {
    format: 'migseal.audit/v1',
    generatedAt: inputs.generatedAt.toISOString(),
    generatedAtSource: inputs.generatedAtSource,
    bundle: inputs.bundle,
    verification: verificationFacts(evidence),
    ...(source && {
      release: {
        trust,
        project: source.manifest.project,
        release: source.manifest.release,
        digest: source.digest,
        dialect: source.manifest.dialect,
        layout: source.manifest.layout,
        createdAt: source.manifest.createdAt,
        ...(source.manifest.expiresAt && { expiresAt: source.manifest.expiresAt }),
        files: source.manifest.files.length,
        filesMatch: source.filesMatch,
        ...(source.manifest.analysis && { analysis: source.manifest.analysis }),
      },
      provenance: provenanceFacts(evidence, source.manifest, trust),
    }),
    signatures: signatureFacts(evidence),
    migrations,
    otherFindings: source
      ? source.manifest.findings.flatMap((f, i) => (named.has(f.file) ? [] : [findingFacts(f, verdicts?.[i])]))
      : [],
    ...(inputs.database && { database: databaseFacts(inputs.database, migrations, source?.manifest.release) }),
  };
}

function claimedSource(evidence: Exclude<BundleEvidence, { kind: 'verified' }>) {
  const claims = evidence.claims;
  return claims && { manifest: claims.report.manifest, digest: claims.report.digest, files: claims.files, filesMatch: claims.report.filesMatch };
}

function provenanceFacts(evidence: BundleEvidence, manifest: Manifest, trust: Trust): ProvenanceFacts {
  const found = evidence.kind === 'verified' ? verifiedProvenance(evidence.bundle) : claimedProvenance(evidence.claims?.report.provenance ?? []);
  const environment = evidence.kind === 'verified' ? evidence.bundle.environment : evidence.kind === 'refused' ? evidence.environment : undefined;
  const rule = evidence.kind === 'claimed' ? undefined : evidence.rule;
  const refusal = evidence.kind === 'refused' ? evidence.error.code : undefined;
  return {
    trust,
    source: { ...manifest.source },
    builder: { id: manifest.builder.id },
    ...found,
    disagreements: disagreements(found.statements, manifest),
    ...(rule && environment !== undefined && { requirement: requirementFacts(environment, rule, refusal) }),
  };
}

function verificationFacts(evidence: BundleEvidence): VerificationFacts {
  if (evidence.kind === 'verified') {
    const { bundle } = evidence;
    return { outcome: 'verified', environment: bundle.environment, policy: evidence.policy, ...(bundle.stale && { stale: bundle.stale }) };
  }
  if (evidence.kind === 'claimed') return { outcome: 'claimed' };
  const { error } = evidence;
  return { outcome: 'refused', ...(evidence.policy && { policy: evidence.policy, environment: evidence.environment }), code: error.code, exitCode: error.exitCode, message: error.message };
}

function signatureFacts(evidence: BundleEvidence): SignatureFacts {
  if (evidence.kind === 'verified') {
    const { bundle } = evidence;
    return {
      trust: 'verified',
      signers: bundle.signers.map((s) => ({
        entry: s.entry,
        role: s.role,
        policyId: s.signer,
        ...(s.keyId && { keyId: s.keyId }),
        ...(s.identity && { identity: s.identity }),
        ...(s.signedAt && { signedAt: s.signedAt }),
      })),
      // A provenance set aside is reported in the Provenance section.
      setAside: bundle.notCounted.filter((s) => !isAttestation(s.entry)).map((s) => ({ entry: s.entry, code: s.code, reason: s.reason })),
    };
  }
  const claims = evidence.claims?.report.signatures ?? [];
  return {
    trust: 'claimed',
    signers: claims
      .filter((c) => !c.problem)
      .map((c) => ({ entry: c.entry, ...(c.role && { role: c.role }), ...(c.keyId && { keyId: c.keyId }), ...(c.certificate && { identity: { ...c.certificate } }) })),
    setAside: claims.filter((c) => c.problem).map((c) => ({ entry: c.entry, reason: c.problem! })),
  };
}

function migrationFacts(manifest: Manifest, files: ReadonlyMap<string, Buffer>, trust: Trust, verdicts: readonly FindingVerdict[] | undefined): MigrationFacts[] {
  const byPath = new Map(manifest.files.map((f) => [f.path, f]));
  const fileFacts = (path: string) => ({ path, sha256: byPath.get(path)?.sha256 ?? '', size: byPath.get(path)?.size ?? 0 });
  return manifest.migrations.map((m) => {
    const checksum = scriptChecksum(m, files);
    return {
      trust,
      key: migrationKey(m),
      version: m.version,
      name: m.name,
      ...(m.up !== undefined && { up: fileFacts(m.up) }),
      ...(m.down !== undefined && { down: fileFacts(m.down) }),
      transactional: m.transactional,
      repeatable: m.repeatable === true,
      runner: m.runner ?? 'sql',
      ...(checksum && { checksum }),
      findings: manifest.findings.flatMap((f, i) => (f.file === m.up || f.file === m.down ? [findingFacts(f, verdicts?.[i])] : [])),
    };
  });
}

// A claimed bundle may lack a migration's file; then there is no checksum to compare.
function scriptChecksum(m: Manifest['migrations'][number], files: ReadonlyMap<string, Buffer>): string | undefined {
  try {
    return m.up === undefined || files.has(m.up) ? sha256Hex(upScript(m, files)) : undefined;
  } catch {
    return undefined;
  }
}

function findingFacts(f: ManifestFinding, verdict: FindingVerdict | undefined): FindingFacts {
  return { ...f, ...(verdict && { decision: { action: verdict.action, because: verdict.because } }) };
}

function databaseFacts(db: DatabaseEvidence, migrations: readonly MigrationFacts[], release: string | undefined): DatabaseFacts {
  const rows = new Map(db.history.migrations.map((r) => [r.key, r]));
  const runs = new Map(db.runs.map((r) => [r.runId, r]));
  const entry = (key: string, version: string, name: string, comparison: Comparison, bundleChecksum: string | undefined): DatabaseEntry => {
    const row = rows.get(key);
    const run = row && runs.get(row.runId);
    return {
      key,
      version,
      name,
      comparison,
      ...(bundleChecksum && { bundleChecksum }),
      ...(row && {
        applied: {
          state: row.state,
          checksum: row.checksum,
          release: row.release,
          bundleDigest: row.bundleDigest,
          at: row.appliedAt,
          by: row.appliedBy,
          durationMs: row.durationMs,
          runId: row.runId,
          ...(run && { host: run.host, command: run.command }),
          ...(run?.environment && { environment: run.environment }),
          ...(row.note && { note: row.note }),
        },
      }),
    };
  };
  const inBundle = new Set(migrations.map((m) => m.key));
  const entries = [
    ...migrations.map((m) => entry(m.key, m.version, m.name, compare(m, rows.get(m.key)), m.checksum)),
    ...db.history.migrations.filter((r) => !inBundle.has(r.key)).map((r) => entry(r.key, r.version, r.name, 'not-in-bundle', undefined)),
  ];
  const counts: Record<Comparison, number> = { match: 0, drift: 0, pending: 0, dirty: 0, 'not-in-bundle': 0 };
  for (const e of entries) counts[e.comparison]++;
  // The database's release is the newest one wholly applied; a failed one shows as partly applied.
  const state = releaseState(db.history, release === undefined ? undefined : { release, versions: migrations.filter((m) => !m.repeatable).map((m) => m.version) });
  const marker = state.complete;
  return {
    url: db.url,
    dialect: db.dialect,
    exists: db.history.exists,
    ...(marker && { marker: { project: marker.project, release: marker.release, bundleDigest: marker.bundleDigest, updatedAt: marker.updatedAt } }),
    ...(state.partial && {
      partial: { release: state.partial.release, applied: state.partial.applied.length, dirty: state.partial.dirty.length, ...(state.partial.total !== undefined && { total: state.partial.total }), text: describePartial(state.partial) },
    }),
    ...(db.history.exists && { chain: chainLine(db.history) }),
    ...(db.liveSchema && {
      schema: {
        recorded: db.liveSchema.recorded,
        live: db.liveSchema.live.sha256,
        matches: !db.liveSchema.drifted,
        ...(db.liveSchema.drifted && { drift: summarizeDifference(db.liveSchema.difference) }),
      },
    }),
    counts,
    entries,
    runs: db.runs.map((r) => ({
      runId: r.runId,
      command: r.command,
      outcome: r.outcome,
      startedAt: r.startedAt,
      ...(r.finishedAt && { finishedAt: r.finishedAt }),
      ...(r.release && { release: r.release }),
      ...(r.bundleDigest && { bundleDigest: r.bundleDigest }),
      ...(r.environment && { environment: r.environment }),
      host: r.host,
      osUser: r.osUser,
      signers: r.signers,
      ...(r.error && { error: r.error }),
      ...(r.reason && { reason: r.reason }),
    })),
  };
}

/** Whether the database still holds what the bundle says: the recorded checksum against the bundle's. */
function compare(m: MigrationFacts, row: History['migrations'][number] | undefined): Comparison {
  if (!row || row.state === 'rolled-back') return 'pending';
  if (row.state === 'dirty') return 'dirty';
  if (row.checksum === m.checksum) return 'match';
  // A repeatable migration whose script changed runs again; that is its design, not drift.
  return m.repeatable ? 'pending' : 'drift';
}
