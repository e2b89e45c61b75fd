/**
 * Checks the analysis findings signed into the manifest against the environment's policy:
 * a refused finding refuses the bundle, and a finding that needs approval refuses it unless
 * a trusted signer approved it (one other than the release signer, when the environment
 * separates duties). No parser runs here: the findings are data. Returns each finding with
 * the decision, for plan and verify to show.
 */
import { MigsealError } from '../errors.js';
import type { Manifest, ManifestFinding } from '../format/manifest.js';
import type { EnvironmentRule } from '../trust/policy.js';
import { decideFinding, type FindingAction } from '../trust/findings-policy.js';
import type { AcceptedSignature } from './check-signatures.js';

export interface FindingVerdict {
  finding: ManifestFinding;
  action: FindingAction;
  because: string;
}

export function checkFindings(manifest: Manifest, rule: EnvironmentRule, signers: readonly AcceptedSignature[], environment: string): FindingVerdict[] {
  const releasers = new Set(signers.filter((s) => s.role === 'release').map((s) => s.principal));
  const approved = signers.some((s) => s.role === 'approve' && !(rule.approversDistinctFromRelease && releasers.has(s.principal)));
  return manifest.findings.map((finding) => {
    const { action, because } = decideFinding(finding, rule.findings);
    const where = `${finding.rule} at ${finding.file} line ${finding.line}`;
    if (action === 'refuse') {
      throw new MigsealError('FINDINGS_NOT_ALLOWED', `The "${environment}" policy refuses ${where} (by ${because}).`, { details: { finding, because } });
    }
    if (action === 'approve' && !approved) {
      throw new MigsealError('FINDINGS_NOT_ALLOWED', `The "${environment}" policy needs an approval signature for ${where} (by ${because}), and the bundle has none.`, {
        details: { finding, because },
      });
    }
    return { finding, action, because };
  });
}
