/**
 * Checks the environment's provenance requirement: a verified provenance must be present,
 * and name exactly the builder and source repository the policy requires (or match its
 * anchored pattern, when the policy opted in to one) and, with builderIsSigner, be signed by
 * the certificate identity it names as its builder.
 */
import { MigsealError } from '../errors.js';
import type { EnvironmentRule } from '../trust/policy.js';
import { meetsRequirement } from '../trust/provenance-policy.js';
import type { ProvenanceCheckResult } from './check-provenance.js';

export function checkProvenancePolicy(checked: ProvenanceCheckResult, rule: EnvironmentRule, environment: string): void {
  const need = rule.provenance;
  if (!need) return;
  const { provenance } = checked;
  const wanted = [
    need.builderId !== undefined ? `builder "${need.builderId}"` : need.builderIdPattern ? `a builder matching ${need.builderIdPattern.source}` : '',
    need.sourceRepository !== undefined ? `source repository "${need.sourceRepository}"` : need.sourceRepositoryPattern ? `a source repository matching ${need.sourceRepositoryPattern.source}` : '',
  ].filter(Boolean);
  const signedBy = need.builderIsSigner ? ', signed by the certificate identity it names as builder' : '';
  const expected = `The "${environment}" policy requires a verified build provenance${wanted.length ? ` from ${wanted.join(' and ')}` : ''}${signedBy}`;
  if (!provenance) {
    const aside = checked.setAside[0];
    throw new MigsealError('PROVENANCE_REQUIRED', `${expected}, but ${aside ? `the bundle's provenance is not accepted (${aside.reason})` : 'the bundle carries none'}.`, {
      details: { found: aside ? 'not-accepted' : 'none', ...(aside && { reason: aside.reason }) },
    });
  }
  if (!meetsRequirement(provenance.builderId, need.builderId, need.builderIdPattern)) {
    throw new MigsealError('PROVENANCE_REQUIRED', `${expected}, but the verified provenance names builder "${provenance.builderId}".`, { details: { found: provenance.builderId } });
  }
  if (need.builderIsSigner && provenance.identity?.identity !== provenance.builderId) {
    const by = provenance.identity ? `certificate identity "${provenance.identity.identity}"` : `key "${provenance.signer}", which vouches for no identity`;
    throw new MigsealError('PROVENANCE_REQUIRED', `${expected}, but the provenance naming builder "${provenance.builderId}" is signed by ${by}.`, {
      details: { found: provenance.identity?.identity ?? null, builderId: provenance.builderId },
    });
  }
  if (!meetsRequirement(provenance.sourceRepository, need.sourceRepository, need.sourceRepositoryPattern)) {
    throw new MigsealError(
      'PROVENANCE_REQUIRED',
      `${expected}, but the verified provenance names ${provenance.sourceRepository === undefined ? 'no source repository' : `source repository "${provenance.sourceRepository}"`}.`,
      { details: { found: provenance.sourceRepository ?? null } },
    );
  }
}
