import { applyBundle, type ApplyReport } from '../../apply/index.js';
import type { VerifiedBundle } from '../../verify/index.js';
import { policyFromFlags, verifyFromFlags } from '../verify-from-flags.js';
import { AuditTrail } from '../audit-trail.js';
import { databaseUrl, lockTimeoutMs, withDatabase } from '../database.js';
import type { CommandRun } from '../table.js';

export const run: CommandRun = async ({ positionals, flags }, { env, cwd, progress }) => {
  const bundlePath = positionals[0]!;
  const audit = new AuditTrail(flags, env, cwd, { event: 'apply', command: 'apply', bundle: bundlePath });
  let verified: VerifiedBundle | undefined;
  let target: string | undefined;
  const report = await audit.around(
    async () => {
      const url = databaseUrl(flags, env, cwd);
      target = url.display;
      const policy = policyFromFlags(flags, 'apply');
      audit.ensureWritable();
      progress(`verifying ${bundlePath}`);
      verified = await verifyFromFlags(bundlePath, policy, flags);
      const bundle = verified;
      return withDatabase(url, env, false, (driver) =>
        applyBundle(bundle, driver, { allowUnknownApplied: flags['allow-unknown-applied'] === true, lockTimeoutMs: lockTimeoutMs(flags, env), progress }),
      );
    },
    () => ({ database: target, ...(verified && provenance(verified)) }),
  );
  const v = verified!;
  audit.record({ outcome: report.upToDate ? 'up-to-date' : 'applied', database: report.target, ...provenance(v), runId: report.runId, migrations: report.applied.map((a) => a.version) });
  return { text: describe(v, report), json: { ok: true, ...provenance(v), database: report.target, upToDate: report.upToDate, runId: report.runId, applied: report.applied, alreadyApplied: report.alreadyApplied } };
};

export function provenance(v: VerifiedBundle): Record<string, unknown> {
  return {
    digest: v.digest,
    project: v.manifest.project,
    release: v.manifest.release,
    environment: v.environment,
    signers: v.signers.map((s) => ({ id: s.signer, role: s.role, keyId: s.keyId })),
  };
}

function describe(v: VerifiedBundle, report: ApplyReport): string {
  const head = `verified ${v.manifest.project} release ${v.manifest.release} (sha256:${v.digest.slice(0, 16)}…) for environment "${v.environment}"`;
  if (report.upToDate) return `${head}\n${report.target} is up to date: ${report.alreadyApplied} migrations already applied, nothing to do`;
  const width = Math.max(...report.applied.map((a) => a.version.length));
  return [
    head,
    `applied ${report.applied.length} migration${report.applied.length === 1 ? '' : 's'} to ${report.target}${report.alreadyApplied ? ` (${report.alreadyApplied} already applied)` : ''}`,
    ...report.applied.map((a) => `  ${a.version.padEnd(width)}  ${a.name}  ${a.durationMs} ms${a.mode === 'outside' ? ' (outside a transaction)' : ''}`),
  ].join('\n');
}
