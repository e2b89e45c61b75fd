/**
 * apply --targets: one release to a fleet. The bundle is verified once; then each target takes
 * exactly the path a single apply takes (its database opened as --db would open it, the same
 * checks against its own history, under its own lock, with its own audit records), canary
 * first, then in waves. One more audit record tells the rollout's outcome.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_CANARY, DEFAULT_WAVE, countFlag, planWaves, rolloutJson, rolloutText, runRollout, type AppliedTarget, type Target } from '../../fleet/index.js';
import { LIMITS } from '../../limits.js';
import { isMigsealError } from '../../errors.js';
import { redactString as redact } from '../../audit/redact.js';
import { AuditTrail } from '../audit-trail.js';
import { bundleJson, errorDocument } from '../json-shape.js';
import { PostgresSessions } from '../../db/index.js';
import { withDatabase } from '../database.js';
import { loadFleet, verifyForFleet, type FleetVerification } from '../fleet.js';
import { writeOutput } from '../io.js';
import type { CommandRun } from '../table.js';
import { policyFromFlags } from '../verify-from-flags.js';
import { provenance } from '../verified-database-run.js';
import { withBackup, type BackupStep } from '../backup-step.js';
import { applyOnDatabase, recordApplied } from './apply.js';

export const DEFAULT_PARALLEL = 4;

export const run: CommandRun = async ({ positionals, flags }, context) => {
  const { env, cwd, progress } = context;
  const bundlePath = positionals[0]!;
  const rolloutId = randomUUID();
  const rolloutAudit = new AuditTrail(flags, env, cwd, { event: 'rollout', command: 'apply', bundle: bundlePath, rolloutId });
  let verification: FleetVerification | undefined;
  const prepared = await rolloutAudit.around(
    async () => {
      const canary = countFlag(flags.canary, 'canary', DEFAULT_CANARY, 0);
      const wave = countFlag(flags.wave, 'wave', DEFAULT_WAVE, 1);
      const parallel = countFlag(flags.parallel, 'parallel', DEFAULT_PARALLEL, 1, LIMITS.maxFleetParallel);
      const fleet = loadFleet(flags, env, cwd);
      const policy = policyFromFlags(flags, 'apply');
      rolloutAudit.ensureWritable();
      progress(`verifying ${bundlePath} once for ${fleet.targets.length} target${fleet.targets.length === 1 ? '' : 's'}`);
      verification = await verifyForFleet(bundlePath, policy, flags, fleet.targets);
      return { fleet, plan: planWaves(fleet.targets, canary, wave), canary, wave, parallel, policy };
    },
    () => (verification ? provenance(verification.any) : {}),
  ).catch((error: unknown) => {
    // A refusal before any target was touched still leaves a report for the pipeline that asked for one.
    if (typeof flags.report === 'string' && isMigsealError(error)) {
      writeOutput(resolveReport(cwd, flags.report as string), `${JSON.stringify({ ...errorDocument(error.code, redact(error.message), error.exitCode, error.details), rolloutId, targets: [] }, null, 2)}\n`);
    }
    throw error;
  });
  const { fleet, plan, wave, parallel, policy } = prepared;
  const verified = verification!;

  // Tenant schemas of one database share sessions, each reset before the next tenant takes it.
  const sessions = new PostgresSessions();
  const applyTarget = async (target: Target): Promise<AppliedTarget> => {
    const bundle = verified.forDialect(target.url.dialect);
    const audit = new AuditTrail(flags, env, cwd, { event: 'apply', command: 'apply', bundle: bundlePath, rolloutId, target: target.name });
    // --backup DIR: each target's own file, named after the target (two databases may share a file name).
    let backup: BackupStep | undefined;
    const backupOf = { url: target.url, env: fleet.envOf(target), name: target.name, onBackup: (step: BackupStep | undefined) => (backup = step) };
    const report = await audit.around(
      () =>
        withDatabase(
          target.url,
          fleet.envOf(target),
          false,
          (driver) => applyOnDatabase(bundle, driver, audit, flags, { env, cwd, progress: () => undefined }, policy.environments[bundle.environment], backupOf),
          sessions,
        ),
      // A target that fails after its backup names it in its failed record too: the way back is in one record.
      () => ({ database: target.url.display, ...provenance(bundle), ...(backup?.taken && { backup: backup.taken }) }),
    ).catch((error: unknown) => {
      throw withBackup(error, backup?.taken, false);
    });
    const taken = (backup as BackupStep | undefined)?.taken;
    // Not synced here: the next record written to the log (the next target's "started", else the rollout's own) syncs it,
    // one fsync a target instead of two, and the target's line is printed only then (onDone).
    recordApplied(audit, bundle, report, taken ? { backup: taken } : {}, { sync: false });
    return {
      upToDate: report.upToDate,
      applied: report.applied.map((a) => ({ version: a.version, name: a.name, durationMs: a.durationMs })),
      alreadyApplied: report.alreadyApplied,
      runId: report.runId,
      ...(report.schemaWarning && { warning: report.schemaWarning }),
      ...(taken && { backup: { path: taken.path, bytes: taken.bytes, sha256: taken.sha256 } }),
    };
  };

  // Each target's line, in order, once the log holds its record durably.
  let told = Promise.resolve();
  const result = await runRollout(plan, {
    parallel,
    stopOnFailure: true,
    run: applyTarget,
    onDone: (record, done, total) => {
      const what = record.error ? `FAILED ${record.error.code}` : record.result!.upToDate ? 'up to date' : `applied ${record.result!.applied.length}`;
      const line = `[${done}/${total}] wave ${record.wave}  ${record.target.name}  ${what}  ${record.durationMs} ms`;
      told = Promise.all([told, rolloutAudit.synced()]).then(() => progress(line));
    },
  }).finally(() => sessions.close());

  const head = provenance(verified.any);
  const bundle = bundleJson(bundlePath, verified.any.digest, verified.any.manifest, true);
  const json = rolloutJson(result, { shard: fleet.shard, canary: plan.canary, wave, parallel, inFile: fleet.inFile }, { rolloutId, ...head, bundle }, verified.ms);
  const summary = json.summary as Record<string, number>;
  const failed = (json.targets as Array<{ name: string; outcome: string }>).filter((t) => t.outcome === 'failed').map((t) => t.name);
  // Synced: every target's record before it is durable with it.
  rolloutAudit.record({ outcome: json.ok ? 'complete' : 'incomplete', ...head, shard: (json.rollout as { shard: string | null }).shard, summary, failed, stoppedAfterWave: result.stoppedAfterWave ?? null });
  await told;
  if (typeof flags.report === 'string') writeOutput(resolveReport(cwd, flags.report), `${JSON.stringify(json, null, 2)}\n`);
  const v = verified.any;
  const text = rolloutText(json, `verified ${v.manifest.project} release ${v.manifest.release} (sha256:${v.digest.slice(0, 16)}…) for environment "${v.environment}"`);
  return { text, json, ...(json.ok !== true && { exitCode: json.exitCode as number }) };
};

function resolveReport(cwd: string, path: string): string {
  return path.startsWith('/') ? path : `${cwd}/${path}`;
}
