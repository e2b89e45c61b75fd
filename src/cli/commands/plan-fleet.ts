/**
 * plan --targets: what apply --targets would do on each target, changing nothing. The bundle
 * is verified once; each target is read as plan reads one database (read-only, no lock), at
 * most --parallel at once. Exit 2 when apply would refuse on any target, else the exit code of
 * a target that could not be read (4), else 0.
 */
import { randomUUID } from 'node:crypto';
import { previewApply } from '../../apply/index.js';
import { countFlag, planWaves, runRollout, type Target } from '../../fleet/index.js';
import { LIMITS } from '../../limits.js';
import { AuditTrail } from '../audit-trail.js';
import { bundleJson } from '../json-shape.js';
import { PostgresSessions } from '../../db/index.js';
import { withDatabase } from '../database.js';
import { loadFleet, verifyForFleet, type FleetVerification } from '../fleet.js';
import type { CommandRun } from '../table.js';
import { policyFromFlags } from '../verify-from-flags.js';
import { provenance } from '../verified-database-run.js';
import { DEFAULT_PARALLEL } from './apply-fleet.js';
import { waitLimitFlags, waitLimits } from '../wait-limits.js';
import { withDefaultWaits } from '../../db/driver.js';
import type { TrustPolicy } from '../../trust/policy.js';

interface PlannedTarget {
  pending: string[];
  applied: number;
  refusal: { code: string; message: string } | null;
}

export const run: CommandRun = async ({ positionals, flags }, { env, cwd, progress }) => {
  const bundlePath = positionals[0]!;
  const rolloutId = randomUUID();
  const planAudit = new AuditTrail(flags, env, cwd, { event: 'rollout-plan', command: 'plan', bundle: bundlePath, rolloutId });
  let verification: FleetVerification | undefined;
  let policy: TrustPolicy | undefined;
  const { fleet, parallel } = await planAudit.around(
    async () => {
      waitLimitFlags(flags);
      const parallel = countFlag(flags.parallel, 'parallel', DEFAULT_PARALLEL, 1, LIMITS.maxFleetParallel);
      const fleet = loadFleet(flags, env, cwd);
      policy = policyFromFlags(flags, 'plan');
      planAudit.ensureWritable();
      progress(`verifying ${bundlePath} once for ${fleet.targets.length} targets`);
      verification = await verifyForFleet(bundlePath, policy, flags, fleet.targets);
      return { fleet, parallel };
    },
    () => (verification ? provenance(verification.any) : {}),
  );
  const verified = verification!;
  const planTarget = async (target: Target): Promise<PlannedTarget> => {
    const bundle = verified.forDialect(target.url.dialect);
    const audit = new AuditTrail(flags, env, cwd, { event: 'plan', command: 'plan', bundle: bundlePath, rolloutId, target: target.name });
    const report = await audit.around(
      () =>
        withDatabase(
          target.url,
          fleet.envOf(target),
          true,
          async (driver) => {
            // Each target is read with apply's lock_timeout, as plan reads one database.
            await driver.limitWaits?.(withDefaultWaits(waitLimits(flags, policy!.environments[bundle.environment])));
            return previewApply(bundle, driver, { allowUnknownApplied: flags['allow-unknown-applied'] === true, peerTableUnrelated: flags['peer-table-unrelated'] === true });
          },
          sessions,
        ),
      () => ({ database: target.url.display, ...provenance(bundle) }),
    );
    const pending = report.plan.pending.map((p) => p.migration.version);
    audit.record({ outcome: report.refusal ? 'would-refuse' : 'planned', database: report.target, ...provenance(bundle), pending, refusal: report.refusal?.code });
    return { pending, applied: report.plan.applied.length, refusal: report.refusal ?? null };
  };
  // Tenant schemas of one database share sessions, each reset before the next tenant takes it.
  const sessions = new PostgresSessions();
  const result = await runRollout(planWaves(fleet.targets, 0, Math.max(1, fleet.targets.length)), { parallel, stopOnFailure: false, run: planTarget }).finally(() => sessions.close());
  const targets = result.records.map((r) => ({
    name: r.target.name,
    database: r.target.url.display,
    outcome: r.error ? 'unavailable' : r.result!.refusal ? 'would-refuse' : r.result!.pending.length === 0 ? 'up-to-date' : 'would-apply',
    pending: r.result?.pending ?? [],
    applied: r.result?.applied ?? 0,
    refusal: r.result?.refusal ?? null,
    error: r.error ? { code: r.error.code, exitCode: r.error.exitCode, message: r.error.message } : null,
  }));
  const count = (o: string) => targets.filter((t) => t.outcome === o).length;
  const summary = { targets: targets.length, wouldApply: count('would-apply'), upToDate: count('up-to-date'), wouldRefuse: count('would-refuse'), unavailable: count('unavailable') };
  const exitCode = summary.wouldRefuse > 0 ? 2 : (targets.find((t) => t.error)?.error?.exitCode ?? 0);
  const head = provenance(verified.any);
  planAudit.record({ outcome: exitCode === 0 ? 'planned' : 'would-refuse', ...head, summary });
  const v = verified.any;
  const width = Math.min(40, Math.max(6, ...targets.map((t) => t.name.length)));
  const lines = [
    `plan for ${v.manifest.project} release ${v.manifest.release} (sha256:${v.digest.slice(0, 16)}…) on ${targets.length} target${targets.length === 1 ? '' : 's'}${fleet.shard ? ` (shard ${fleet.shard.index}/${fleet.shard.count} of ${fleet.inFile})` : ''}, verified once in ${verified.ms} ms (nothing was changed)`,
    ...targets.map((t) => {
      const what =
        t.outcome === 'would-apply'
          ? `would apply ${t.pending.length} migration${t.pending.length === 1 ? '' : 's'} (${t.pending.join(', ')})${t.applied ? `, ${t.applied} already applied` : ''}`
          : t.outcome === 'up-to-date'
            ? `up to date (${t.applied} applied)`
            : t.outcome === 'would-refuse'
              ? `WOULD REFUSE ${t.refusal!.code}: ${t.refusal!.message}`
              : `UNAVAILABLE ${t.error!.code}: ${t.error!.message}`;
      return `  ${t.name.padEnd(width)}  ${what}`;
    }),
    `${summary.targets} targets: ${summary.wouldApply} would apply, ${summary.upToDate} up to date, ${summary.wouldRefuse} would refuse, ${summary.unavailable} unavailable`,
  ];
  return {
    text: lines.join('\n'),
    json: {
      ok: exitCode === 0,
      ...(exitCode !== 0 && { error: planError(targets, exitCode) }),
      ...head,
      bundle: bundleJson(bundlePath, v.digest, v.manifest, true),
      shard: fleet.shard ? `${fleet.shard.index}/${fleet.shard.count}` : null,
      targetsInFile: fleet.inFile,
      verificationMs: verified.ms,
      summary,
      targets,
    },
    ...(exitCode !== 0 && { exitCode }),
  };
};

/** Why plan --targets answers no: the first target apply would refuse, else the first it could not read. */
function planError(targets: ReadonlyArray<{ name: string; refusal: { code: string; message: string } | null; error: { code: string; message: string } | null }>, exitCode: number): { code: string; message: string; exitCode: number } {
  const refused = targets.filter((t) => t.refusal);
  const first = refused[0] ?? targets.find((t) => t.error)!;
  const { code, message } = first.refusal ?? first.error!;
  const others = (refused.length || targets.filter((t) => t.error).length) - 1;
  return { code, message: `${first.name}: ${message}${others > 0 ? ` (and ${others} more target${others === 1 ? '' : 's'})` : ''}`, exitCode };
}
