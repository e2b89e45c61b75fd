/**
 * Checks the analysis findings signed into the manifest against the environment's policy:
 * a refused finding refuses the bundle, and a finding that needs approval refuses it unless
 * a trusted signer approved it (one other than the release signer, when the environment
 * separates duties). No parser runs here: the findings are data.
 *
 * Only the findings that can matter on this host are judged: those of the dialect it runs
 * (a bundle marked "any" carries one analysis per dialect), and those of the scripts it is
 * about to run (up scripts for apply and plan, down scripts for rollback). A bundle whose
 * analysis did not cover the host's dialect, or the direction it runs, is refused: its
 * findings say nothing about what will run. Returns each judged finding with the decision,
 * for plan and verify to show.
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

export interface FindingScope {
  /** The dialect of the database the bundle is about to run on; unknown (verify alone): every dialect's findings are judged. */
  dialect?: 'postgres' | 'sqlite' | undefined;
  /** Which scripts are about to run: up (the default) or down (rollback). */
  direction?: 'up' | 'down';
}

/** The first analysis version that read down scripts too; bundles from before it say nothing about them. */
const FIRST_WITH_DOWN_SCRIPTS = 2;

export function checkFindings(manifest: Manifest, rule: EnvironmentRule, signers: readonly AcceptedSignature[], environment: string, scope: FindingScope = {}): FindingVerdict[] {
  const direction = scope.direction ?? 'up';
  checkAnalysisCovers(manifest, scope.dialect, direction);
  const releasers = new Set(signers.filter((s) => s.role === 'release').map((s) => s.principal));
  const approved = signers.some((s) => s.role === 'approve' && !(rule.approversDistinctFromRelease && releasers.has(s.principal)));
  const judged = manifest.findings.filter(
    (f) => (f.direction ?? 'up') === direction && (scope.dialect === undefined || f.dialect === undefined || f.dialect === scope.dialect),
  );
  return judged.map((finding) => {
    const { action, because } = decideFinding(finding, rule.findings);
    const where = `${finding.rule} at ${finding.file} line ${finding.line}${finding.direction === 'down' ? ' (a down script)' : ''}${finding.dialect && scope.dialect === undefined ? ` (as ${finding.dialect})` : ''}`;
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

/** Refuses a bundle whose signed analysis did not read the scripts this host is about to run, as this host's database reads them. */
export function checkAnalysisCovers(manifest: Manifest, dialect: FindingScope['dialect'], direction: 'up' | 'down'): void {
  const scripts = manifest.migrations.filter((m) => m.runner !== 'native' && (direction === 'up' || m.down !== undefined));
  // A bundle for another dialect is refused as such (WRONG_DIALECT) by the target checks.
  if (scripts.length === 0 || dialect === undefined || (manifest.dialect !== 'any' && manifest.dialect !== dialect)) return;
  const analysis = manifest.analysis;
  const covered = analysis === undefined ? [] : (analysis.dialects ?? [analysis.dialect]);
  if (!covered.includes(dialect)) {
    const what = analysis === undefined ? 'was not analysed' : `was analysed as ${covered.join(' and ')} only`;
    throw new MigsealError('ANALYSIS_MISSING', `The bundle ${what}, so no finding says what its scripts do on ${dialect}; pack it again for ${dialect} (or for "any").`, {
      details: { analysed: covered, dialect },
    });
  }
  if (direction === 'down' && analysisVersion(analysis!.tool) < FIRST_WITH_DOWN_SCRIPTS) {
    throw new MigsealError('ANALYSIS_MISSING', `The bundle's analysis (${analysis!.tool}) did not read its down scripts, so the policy cannot judge what a rollback runs; pack it again with this version of migseal.`, {
      details: { tool: analysis!.tool },
    });
  }
}

function analysisVersion(tool: string): number {
  const m = /^migseal-lint\/(\d+)$/.exec(tool);
  return m ? Number(m[1]) : 0;
}
