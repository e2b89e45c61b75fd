/**
 * A rehearsal of a verified release on an empty scratch database of the target's kind:
 *   1. apply every migration in order, the schema fingerprint recorded before and after each;
 *   2. run the down scripts newest first, each checked to restore the fingerprint from before
 *      its migration (what it left behind, or took away, is named); a repeatable migration has
 *      no down script, so what it made stays, as a rollback leaves it, and is not counted
 *      against the down scripts;
 *   3. apply everything again, repeatables included (run again over what they made), and check
 *      that the schema is the one the first apply gave.
 * Nothing is written to a history: the scratch database is a test bench. The outcome is the
 * predicate of a rehearsal statement (src/format/rehearsal-statement.ts), which `rehearse`
 * signs into the bundle's attestations when given a key. On PostgreSQL the scripts run with
 * the lock_timeout and statement_timeout apply would give them (a migration's own SET wins),
 * so a script that waits for a lock another session holds fails naming that session, as in
 * apply, instead of waiting for ever.
 */
import { withDefaultWaits, type Driver, type WaitLimits } from '../db/driver.js';
import { MigsealError } from '../errors.js';
import { upScript } from '../apply/plan.js';
import { scriptText } from '../apply/script-text.js';
import { historyExists } from '../apply/history-schema.js';
import { releaseOwner } from '../apply/recorded-run.js';
import { readSchemaFingerprint, summarizeDifference, compareFingerprints, isSameSchema, objectLabel, type FingerprintDifference, type SchemaFingerprint } from '../fingerprint/index.js';
import { migrationScript } from '../format/migration-script.js';
import type { RehearsalPredicate, RehearsedMigration } from '../format/rehearsal-statement.js';
import type { ManifestMigration } from '../format/manifest.js';
import type { VerifiedBundle } from '../verify/index.js';
import { describeLeftBehind, newDifference } from './left-behind.js';
import { runScript as runOneScript } from './run-script.js';
import { LIMITS } from '../limits.js';

export interface RehearsalReport {
  target: string;
  predicate: RehearsalPredicate;
  /** Per migration (by version), what its down script left different from before its up script. */
  leftBehind: Record<string, FingerprintDifference>;
  /**
   * Per migration (by version) whose script gave up waiting for a lock: who held it, for the
   * operator. Never in the signed predicate: another session's pid and query are not the release's.
   */
  lockHolders: Record<string, string>;
}

export interface RehearsalOptions {
  progress?: (line: string) => void;
  /** PostgreSQL's lock_timeout and statement_timeout (default: LIMITS.pgLockTimeoutMs, pgStatementTimeoutMs). */
  waitLimits?: Partial<WaitLimits>;
  /** How long to wait for another runner's lock (default: LIMITS.lockTimeoutMs). */
  lockTimeoutMs?: number;
}

export async function rehearseBundle(verified: VerifiedBundle, driver: Driver, options: RehearsalOptions = {}): Promise<RehearsalReport> {
  const { manifest } = verified;
  if (manifest.dialect !== 'any' && manifest.dialect !== driver.dialect) {
    throw new MigsealError('WRONG_DIALECT', `The bundle is for ${manifest.dialect}, and the scratch database ${driver.target} is ${driver.dialect}; rehearse on a database of the target's kind.`);
  }
  const native = manifest.migrations.find((m) => m.runner === 'native');
  if (native) throw new MigsealError('NATIVE_RUNNER_REQUIRED', `Migration ${native.version} (${native.name}) can only be run by its own tool, so migseal cannot rehearse this release.`);
  // The runner lock, as apply takes it: a second rehearsal, or an apply, on the same database waits for this one (and
  // then finds it not empty) instead of running its scripts between this one's, or having its tables dropped by them.
  await driver.lock(options.lockTimeoutMs ?? LIMITS.lockTimeoutMs, releaseOwner('rehearse', verified));
  try {
    return await rehearseLocked(verified, driver, options);
  } finally {
    await driver.unlock();
  }
}

async function rehearseLocked(verified: VerifiedBundle, driver: Driver, options: RehearsalOptions): Promise<RehearsalReport> {
  const { manifest, files } = verified;
  const progress = options.progress ?? (() => undefined);
  const lockHolders: Record<string, string> = {};
  const runScript = async (m: ManifestMigration, sql: string): Promise<string | undefined> => {
    const failed = await runOneScript(driver, m, sql);
    if (failed?.lockHolders !== undefined) lockHolders[m.version] ??= failed.lockHolders;
    return failed?.problem;
  };
  await driver.limitWaits?.(withDefaultWaits(options.waitLimits));
  const empty = await readSchemaFingerprint(driver);
  if (empty.objects.length > 0 || (await historyExists(driver))) {
    const first = empty.objects[0];
    throw new MigsealError(
      'SCRATCH_NOT_EMPTY',
      `The scratch database ${driver.target} is not empty (${first ? `it holds ${empty.objects.length} schema objects, the first ${objectLabel(first)}` : 'it holds a migseal history'}); a rehearsal needs an empty database of the target's kind, and nothing was run.`,
    );
  }
  // Versioned migrations in order, then repeatables, as apply runs them.
  const order = [...manifest.migrations.filter((m) => !m.repeatable), ...manifest.migrations.filter((m) => m.repeatable)];
  const outcomes: RehearsedMigration[] = order.map((m) => ({ version: m.version, name: m.name, up: 'not-run', down: 'not-run', reapply: 'not-run', ...(m.repeatable && { repeatable: true }) }));
  const before: SchemaFingerprint[] = [];
  const leftBehind: Record<string, FingerprintDifference> = {};
  const up = (m: ManifestMigration) => scriptText(upScript(m, files), m);

  // 1. Up, in order.
  let current = empty;
  let applied = 0;
  for (const [i, m] of order.entries()) {
    progress(`rehearsing ${m.version} ${m.name}: up`);
    before[i] = current;
    const failed = await runScript(m, up(m));
    const outcome = outcomes[i]!;
    outcome.before = current.sha256;
    if (failed !== undefined) {
      outcome.up = 'failed';
      outcome.problem = failed;
      break;
    }
    current = await readSchemaFingerprint(driver);
    outcome.up = 'ok';
    outcome.after = current.sha256;
    applied++;
  }
  const afterApply = current;
  const allApplied = applied === order.length;

  // 2. Down, newest first. Repeatables have no down script: like a rollback, the pass keeps what
  // they made, and no versioned down script is blamed for it.
  let downComplete = true;
  const firstRepeatable = order.findIndex((m) => m.repeatable);
  let earlier: FingerprintDifference | undefined = firstRepeatable >= 0 && applied > firstRepeatable ? compareFingerprints(before[firstRepeatable]!, current) : undefined;
  for (let i = applied - 1; i >= 0; i--) {
    const m = order[i]!;
    const outcome = outcomes[i]!;
    if (m.repeatable) continue;
    if (m.down === undefined) {
      outcome.down = 'missing';
      downComplete = false;
      break;
    }
    progress(`rehearsing ${m.version} ${m.name}: down`);
    const failed = await runScript(m, scriptText(migrationScript(m, 'down', files), m));
    if (failed !== undefined) {
      outcome.down = 'failed';
      outcome.problem = failed;
      downComplete = false;
      break;
    }
    current = await readSchemaFingerprint(driver);
    const left = newDifference(before[i]!, current, earlier);
    earlier = compareFingerprints(before[i]!, current);
    if (isSameSchema(left)) outcome.down = 'ok';
    else {
      outcome.down = 'left-behind';
      outcome.problem = describeLeftBehind(left);
      leftBehind[m.version] = left;
    }
  }

  // 3. Everything again, when everything went up and came down.
  let reapplied: SchemaFingerprint | undefined;
  if (allApplied && downComplete) {
    reapplied = current;
    for (const [i, m] of order.entries()) {
      progress(`rehearsing ${m.version} ${m.name}: up again`);
      const failed = await runScript(m, up(m));
      const outcome = outcomes[i]!;
      if (failed !== undefined) {
        outcome.reapply = 'failed';
        outcome.problem ??= failed;
        reapplied = undefined;
        break;
      }
      outcome.reapply = 'ok';
    }
    if (reapplied) reapplied = await readSchemaFingerprint(driver);
  }
  const reapplyDifference = reapplied && reapplied.sha256 !== afterApply.sha256 ? summarizeDifference(compareFingerprints(afterApply, reapplied)) : undefined;
  const bad = (s: string) => s === 'failed' || s === 'left-behind' || s === 'missing';
  const passed = allApplied && downComplete && reapplied !== undefined && reapplyDifference === undefined && !outcomes.some((o) => bad(o.up) || bad(o.down) || bad(o.reapply));
  return {
    target: driver.target,
    leftBehind,
    lockHolders,
    predicate: {
      project: manifest.project,
      release: manifest.release,
      server: { dialect: driver.dialect, version: await serverVersion(driver) },
      rehearsedAt: new Date().toISOString(),
      passed,
      migrations: outcomes,
      fingerprints: { empty: empty.sha256, ...(allApplied && { applied: afterApply.sha256 }), ...(reapplied && { reapplied: reapplied.sha256 }) },
      ...(reapplyDifference && { reapplyDifference }),
    },
  };
}

async function serverVersion(driver: Driver): Promise<string> {
  const rows = await driver.query(driver.dialect === 'postgres' ? 'SELECT pg_catalog.current_setting(\'server_version\') AS v' : 'SELECT sqlite_version() AS v');
  return `${driver.dialect === 'postgres' ? 'PostgreSQL' : 'SQLite'} ${String(rows[0]?.v ?? '?')}`;
}
