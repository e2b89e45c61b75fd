/**
 * The Provenance section's facts: the signed SLSA build provenance (verified, or only
 * claimed), how it compares with the manifest's own claims, and what the environment's
 * policy requires of it. Pure functions of what the audit read.
 */
import { ATTESTATIONS_DIR } from '../format/bundle-archive.js';
import type { Manifest } from '../format/manifest.js';
import type { ProvenanceClaim } from '../inspect/index.js';
import type { EnvironmentRule } from '../trust/policy.js';
import type { VerifiedBundle } from '../verify/index.js';
import type { BuildProvenanceFacts, ProvenanceDisagreement, ProvenanceFacts, ProvenanceRequirementFacts } from './facts.js';

type Found = Pick<ProvenanceFacts, 'statements' | 'setAside'>;

export const isAttestation = (entry: string): boolean => entry.startsWith(ATTESTATIONS_DIR);

/** The provenance verify accepted, and any it set aside (signed by no one the policy accepts). */
export function verifiedProvenance(bundle: VerifiedBundle): Found {
  const p = bundle.provenance;
  const statements: BuildProvenanceFacts[] = p
    ? [
        {
          trust: 'verified',
          entry: p.entry,
          buildType: p.buildType,
          builderId: p.builderId,
          ...source(p),
          signer: { policyId: p.signer, ...(p.keyId && { keyId: p.keyId }), ...(p.identity && { identity: { ...p.identity } }) },
        },
      ]
    : [];
  const setAside = bundle.notCounted.filter((s) => isAttestation(s.entry)).map((s) => ({ entry: s.entry, code: s.code, reason: s.reason }));
  return { statements, setAside };
}

/** What inspect read, trusting nothing: readable provenances (with any problem), and unreadable ones set aside. */
export function claimedProvenance(claims: readonly ProvenanceClaim[]): Found {
  const statements: BuildProvenanceFacts[] = [];
  const setAside: Found['setAside'] = [];
  for (const c of claims) {
    if (c.builderId === undefined) {
      setAside.push({ entry: c.entry, reason: c.problem ?? 'not a migseal SLSA provenance' });
      continue;
    }
    statements.push({
      trust: 'claimed',
      entry: c.entry,
      ...(c.buildType !== undefined && { buildType: c.buildType }),
      builderId: c.builderId,
      ...source(c),
      signer: { ...(c.keyId && { keyId: c.keyId }), ...(c.certificate && { identity: { ...c.certificate } }) },
      ...(c.problem && { problem: c.problem }),
    });
  }
  return { statements, setAside };
}

function source(p: { sourceRepository?: string; sourceRef?: string; sourceCommit?: string; invocationId?: string }) {
  return {
    ...(p.sourceRepository !== undefined && { sourceRepository: p.sourceRepository }),
    ...(p.sourceRef !== undefined && { sourceRef: p.sourceRef }),
    ...(p.sourceCommit !== undefined && { sourceCommit: p.sourceCommit }),
    ...(p.invocationId !== undefined && { invocationId: p.invocationId }),
  };
}

/** Where a provenance names another builder, repository or commit than the manifest. Verified ones never do. */
export function disagreements(statements: readonly BuildProvenanceFacts[], manifest: Manifest): ProvenanceDisagreement[] {
  return statements.flatMap((s) => {
    const pairs: Array<[ProvenanceDisagreement['field'], string | undefined, string | undefined]> = [
      ['builder', s.builderId, manifest.builder.id],
      ['source repository', s.sourceRepository, manifest.source.repository],
      ['source commit', s.sourceCommit, manifest.source.commit],
    ];
    return pairs.filter(([, a, b]) => a !== b).map(([field, a, b]) => ({ field, ...(a !== undefined && { provenance: a }), ...(b !== undefined && { manifest: b }) }));
  });
}

/** The environment's requirement and whether it was met; `refusal` is the code the bundle was refused with, if it was. */
export function requirementFacts(environment: string, rule: EnvironmentRule, refusal: string | undefined): ProvenanceRequirementFacts {
  const need = rule.provenance;
  if (!need) return { environment, required: false };
  return {
    environment,
    required: true,
    ...(need.builderId !== undefined && { builderId: need.builderId }),
    ...(need.builderIdPattern && { builderIdPattern: need.builderIdPattern.source }),
    ...(need.sourceRepository !== undefined && { sourceRepository: need.sourceRepository }),
    ...(need.sourceRepositoryPattern && { sourceRepositoryPattern: need.sourceRepositoryPattern.source }),
    ...(need.builderIsSigner && { builderIsSigner: true }),
    status: refusal === undefined ? 'met' : refusal === 'PROVENANCE_REQUIRED' ? 'not-met' : 'not-checked',
  };
}
