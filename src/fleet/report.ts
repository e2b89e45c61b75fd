/**
 * What a rollout tells: every target with its outcome, the migrations it applied, how long it
 * took and, for a failed one, its coded error; a summary; and whether every target is now up to
 * date. The same facts as text for a terminal and as a JSON document (--json, --report FILE).
 */
import { MigsealError } from '../errors.js';
import type { RolloutResult, TargetRecord } from './rollout.js';
import type { Shard } from './shard.js';
import type { Target } from './targets.js';

/** What one target's apply answered (the single apply's report, in short). */
export interface AppliedTarget {
  upToDate: boolean;
  applied: Array<{ version: string; name: string; durationMs: number }>;
  alreadyApplied: number;
  runId: string | undefined;
  /** What a single apply would print as a warning (a live schema that drifted, where the policy only warns). */
  warning?: string;
  /** The backup taken before the target's first statement (--backup DIR). */
  backup?: { path: string; bytes: number; sha256: string };
}

export type TargetOutcome = 'applied' | 'up-to-date' | 'failed' | 'not-started';

export interface TargetReport {
  name: string;
  database: string;
  wave: number;
  outcome: TargetOutcome;
  applied: string[];
  alreadyApplied: number;
  durationMs: number;
  runId: string | null;
  warning: string | null;
  backup: { path: string; bytes: number; sha256: string } | null;
  error: { code: string; exitCode: number; message: string } | null;
}

export interface RolloutSettings {
  shard: Shard | undefined;
  canary: number;
  wave: number;
  parallel: number;
  /** Targets in the file, before --shard took its slice. */
  inFile: number;
}

export interface RolloutSummary {
  targets: number;
  applied: number;
  upToDate: number;
  failed: number;
  notStarted: number;
}

export function targetReport(record: TargetRecord<Target, AppliedTarget>): TargetReport {
  const { target, result, error } = record;
  const outcome: TargetOutcome = error ? 'failed' : !result ? 'not-started' : result.upToDate ? 'up-to-date' : 'applied';
  return {
    name: target.name,
    database: target.url.display,
    wave: record.wave,
    outcome,
    applied: result?.applied.map((a) => a.version) ?? [],
    alreadyApplied: result?.alreadyApplied ?? 0,
    durationMs: record.durationMs,
    runId: result?.runId ?? null,
    warning: result?.warning ?? null,
    backup: result?.backup ?? backupOfFailure(error) ?? null,
    error: error ? { code: error.code, exitCode: error.exitCode, message: error.message } : null,
  };
}

/** The backup a failed target took before it failed (its error's details), the first step of its recovery. */
function backupOfFailure(error: MigsealError | undefined): TargetReport['backup'] | undefined {
  const b = error?.details?.backup as TargetReport['backup'] | undefined;
  return b && typeof b.path === 'string' && typeof b.bytes === 'number' && typeof b.sha256 === 'string' ? { path: b.path, bytes: b.bytes, sha256: b.sha256 } : undefined;
}

export function summarize(targets: readonly TargetReport[]): RolloutSummary {
  const count = (o: TargetOutcome) => targets.filter((t) => t.outcome === o).length;
  return { targets: targets.length, applied: count('applied'), upToDate: count('up-to-date'), failed: count('failed'), notStarted: count('not-started') };
}

/** The coded error a rollout that left a target behind ends with, or undefined when every target is up to date. */
export function incomplete(targets: readonly TargetReport[], stoppedAfterWave: number | undefined, canary: number): MigsealError | undefined {
  const failed = targets.filter((t) => t.outcome === 'failed');
  const notStarted = targets.filter((t) => t.outcome === 'not-started').length;
  if (failed.length === 0 && notStarted === 0) return undefined;
  const named = failed.slice(0, 3).map((t) => `${t.name}: ${t.error!.code}`).join('; ') + (failed.length > 3 ? ` and ${failed.length - 3} more` : '');
  const where = stoppedAfterWave === undefined ? '' : stoppedAfterWave === 1 && canary > 0 ? '; the canary failed, so no other target was started' : `; the rollout stopped after wave ${stoppedAfterWave}`;
  return new MigsealError(
    'FLEET_INCOMPLETE',
    `Not every target is up to date: ${failed.length} failed${failed.length ? ` (${named})` : ''}, ${notStarted} not started${where}. Fix the failed targets and run the same command again: targets already up to date are skipped.`,
  );
}

export function rolloutJson(result: RolloutResult<Target, AppliedTarget>, settings: RolloutSettings, head: Record<string, unknown>, verificationMs: number): Record<string, unknown> {
  const targets = result.records.map(targetReport);
  const failure = incomplete(targets, result.stoppedAfterWave, settings.canary);
  return {
    ok: failure === undefined,
    ...(failure && { error: { code: failure.code, message: failure.message, exitCode: failure.exitCode }, code: failure.code, exitCode: failure.exitCode, message: failure.message }),
    ...head,
    rollout: {
      shard: settings.shard ? `${settings.shard.index}/${settings.shard.count}` : null,
      targetsInFile: settings.inFile,
      canary: settings.canary,
      wave: settings.wave,
      parallel: settings.parallel,
      stoppedAfterWave: result.stoppedAfterWave ?? null,
      verificationMs,
      durationMs: result.durationMs,
    },
    summary: summarize(targets),
    targets,
  };
}

export function rolloutText(json: Record<string, unknown>, headLine: string): string {
  const targets = json.targets as TargetReport[];
  const rollout = json.rollout as { shard: string | null; targetsInFile: number; canary: number; wave: number; parallel: number; verificationMs: number; durationMs: number };
  const s = json.summary as RolloutSummary;
  const width = Math.min(40, Math.max(...targets.map((t) => t.name.length), 6));
  const lines = [
    `${headLine}, once, in ${rollout.verificationMs} ms`,
    `rollout of ${targets.length} target${targets.length === 1 ? '' : 's'}${rollout.shard ? ` (shard ${rollout.shard} of ${rollout.targetsInFile} in the file)` : ''}: canary ${rollout.canary}, then waves of ${rollout.wave}, ${rollout.parallel} at once`,
  ];
  for (const t of targets) {
    lines.push(`  ${t.name.padEnd(width)}  wave ${String(t.wave).padEnd(3)} ${describeTarget(t)}`);
    if (t.warning) lines.push(`  ${' '.repeat(width)}  warning: ${t.warning}`);
    if (t.backup) lines.push(`  ${' '.repeat(width)}  backed up first to ${t.backup.path}`);
  }
  lines.push(
    `${s.targets} target${s.targets === 1 ? '' : 's'} in ${rollout.durationMs} ms: ${s.applied} applied, ${s.upToDate} already up to date, ${s.failed} failed, ${s.notStarted} not started`,
  );
  if (json.ok !== true) lines.push(String(json.message));
  return lines.join('\n');
}

function describeTarget(t: TargetReport): string {
  switch (t.outcome) {
    case 'applied':
      return `applied ${t.applied.length} migration${t.applied.length === 1 ? '' : 's'}${t.alreadyApplied ? ` (${t.alreadyApplied} already applied)` : ''}  ${t.durationMs} ms`;
    case 'up-to-date':
      return `up to date (${t.alreadyApplied} applied), skipped  ${t.durationMs} ms`;
    case 'failed':
      return `FAILED ${t.error!.code}: ${t.error!.message}`;
    case 'not-started':
      return 'not started';
  }
}
