/**
 * Runs one pending migration and records it (./script-step.ts): its history row, and with
 * the last migration of a run the release marker, commit with the script. A run that fails
 * part-way leaves the database's release where it was (./release-state.ts).
 */
import type { Driver } from '../db/driver.js';
import { executionMode, type ExecutionMode } from './execution-mode.js';
import { setMigrationState, writeMarker, writeMigration, type AppliedMigration, type ReleaseMarker } from './history.js';
import type { PlannedMigration } from './plan.js';
import { runScriptStep } from './script-step.js';
import type { PeerHistoryKeeper } from '../peer-history/index.js';

export { ScriptFailure } from './script-step.js';

export interface MigrationRun {
  driver: Driver;
  runId: string;
  release: string;
  bundleDigest: string;
  appliedBy: string;
  /** Written with the migration that completes the release (then cleared): the release is the database's once all of it is applied. */
  marker: ReleaseMarker | undefined;
  /** The layout's own tool's history table, kept with each migration when the bundle says so. */
  peer?: PeerHistoryKeeper;
}

export interface MigrationResult {
  version: string;
  name: string;
  mode: ExecutionMode;
  durationMs: number;
}

export async function runMigration(run: MigrationRun, planned: PlannedMigration): Promise<MigrationResult> {
  const mode = await executionMode(planned.migration, planned.sql, run.driver.dialect);
  const { driver } = run;
  let recorded = planned.recorded;
  const row = (state: AppliedMigration['state'], durationMs: number, note: string | null): AppliedMigration => ({
    key: planned.key,
    version: planned.migration.version,
    name: planned.migration.name,
    kind: planned.migration.repeatable ? 'repeatable' : 'versioned',
    checksum: planned.checksum,
    release: run.release,
    bundleDigest: run.bundleDigest,
    appliedAt: new Date().toISOString(),
    appliedBy: run.appliedBy,
    durationMs,
    state,
    runId: run.runId,
    note,
  });
  /** The migration's row, and the release marker when this migration completes the release. */
  const write = async (state: AppliedMigration['state'], durationMs: number, note: string | null): Promise<void> => {
    await writeMigration(driver, row(state, durationMs, note), recorded);
    recorded = true;
    if (run.marker && state === 'applied') {
      await writeMarker(driver, run.marker, run.runId);
      run.marker = undefined;
    }
  };
  let marked = false;
  const peer = run.peer?.step(planned.migration, planned.script, planned.migration.up ?? '');
  const durationMs = await runScriptStep({
    driver,
    planned,
    sql: planned.sql,
    mode,
    ...(peer && { beforeScript: () => peer.beforeUp() }),
    // The first mark writes the whole row; a later one (the failure) only changes its state and note.
    markDirty: async (note) => {
      if (marked) {
        await setMigrationState(driver, planned.key, 'dirty', run.runId, note);
        return peer?.upFailed(note);
      }
      marked = true;
      return write('dirty', 0, note);
    },
    recordDone: async (took) => {
      // golang-migrate's down-only version: nothing ran, the version is recorded (the checksum is the empty script's).
      await write('applied', took, planned.migration.up === undefined ? 'empty up: this version has only a down script' : null);
      await peer?.afterUp(took);
    },
  });
  return { version: planned.migration.version, name: planned.migration.name, mode, durationMs };
}
