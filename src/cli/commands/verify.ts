import { policyFromFlags, verifyFromFlags } from '../verify-from-flags.js';
import { bundleJson, migrationList } from '../json-shape.js';
import { streamInput } from '../io.js';
import { SIGNER_FLAGS, signerPolicyFromFlags } from '../signer-policy.js';
import type { TrustPolicy } from '../../trust/policy.js';
import type { CommandRun } from '../table.js';
import { count as plural } from '../plural.js';

/** --key or --certificate-identity: exactly that signer, for the project the bundle names. */
async function signerPolicy(bundlePath: string, flags: Record<string, unknown>, cwd: string): Promise<TrustPolicy> {
  const { readClaimedContents } = await import('../../format/claimed-contents.js');
  const claimed = await readClaimedContents(streamInput(bundlePath, 'bundle'), { fileMismatch: 'report' });
  return signerPolicyFromFlags(flags, claimed.manifest.project, cwd)!;
}

export const run: CommandRun = async ({ positionals, flags }, { cwd }) => {
  const oneSigner = SIGNER_FLAGS.some((name) => typeof flags[name] === 'string');
  const policy = oneSigner ? await signerPolicy(positionals[0]!, flags, cwd) : policyFromFlags(flags, 'verify');
  // verify runs nothing: every file is hashed in one read of the archive, and none is held.
  const verified = await verifyFromFlags(positionals[0]!, policy, flags, undefined, 'hash');
  const m = verified.manifest;
  const p = verified.provenance;
  // The verified claims and signer; the archive entry and the whole statement stay out of the report.
  const { entry: _entry, statement: _statement, ...provenance } = p ?? {};
  return {
    text: [
      `verified ${m.project} release ${m.release} for environment "${verified.environment}"`,
      `  release id  sha256:${verified.digest}`,
      ...verified.signers.map((s) => `  signed by   ${s.signer} (${s.role})${s.identity ? `: ${s.identity.identity}, issuer ${s.identity.issuer}` : ''}`),
      ...verified.notCounted.map((s) => `  not counted ${s.reason}`),
      ...(p
        ? [
            `  provenance  SLSA v1 signed by ${p.signer}: builder ${p.builderId}`,
            `              source ${p.sourceRepository ?? '(no repository)'}${p.sourceRef ? ` ${p.sourceRef}` : ''} ${p.sourceCommit ?? '(no commit)'}${p.invocationId ? `, run ${p.invocationId}` : ''}`,
          ]
        : [`  provenance  none verified`]),
      ...verified.rehearsals.map((r) => `  rehearsal   ${r.passed ? 'passed' : 'FAILED'}${r.server ? ` on ${r.server}` : ''}${r.signer ? `, signed by ${r.signer}` : ''}${r.rehearsedAt ? ` at ${r.rehearsedAt}` : ''}${r.notCounted ? ` (not counted: ${r.notCounted})` : ''}`),
      `  contents    ${plural(m.migrations.length, 'migration')}, ${plural(m.files.length, 'file')}, every hash matching`,
    ].join('\n'),
    json: {
      ok: true,
      bundle: bundleJson(positionals[0], verified.digest, m, true),
      digest: verified.digest,
      project: m.project,
      release: m.release,
      environment: verified.environment,
      signers: verified.signers.map((s) => ({ id: s.signer, role: s.role, keyId: s.keyId, ...(s.identity && { identity: s.identity }) })),
      notCounted: verified.notCounted,
      provenance: p ? provenance : null,
      rehearsals: verified.rehearsals,
      migrations: migrationList(m.migrations),
      files: m.files.length,
    },
  };
};
