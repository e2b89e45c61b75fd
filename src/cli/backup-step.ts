/**
 * apply --backup DIR: the backup step a run takes after its checks and before its first
 * statement (src/backup), and the environment's requireBackup, which refuses an apply
 * without it before anything runs.
 */
import { resolve } from 'node:path';
import type { BackupRecord } from '../backup/index.js';
import type { DatabaseUrl, Driver } from '../db/index.js';
import { isMigsealError, MigsealError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { EnvironmentRule } from '../trust/policy.js';
import { databasePassword } from './database.js';

export interface BackupStep {
  take: (run: { runId: string }) => Promise<BackupRecord>;
  /** The backup taken, once it is. */
  taken: BackupRecord | undefined;
}

export function backupStep(
  flags: Record<string, unknown>,
  where: { url: DatabaseUrl; env: Record<string, string | undefined>; cwd: string; name?: string },
  driver: Driver,
  environment: string,
  rule: EnvironmentRule | undefined,
  lockWaitMs: number | undefined,
): BackupStep | undefined {
  const dir = typeof flags.backup === 'string' ? flags.backup : undefined;
  if (dir === undefined) {
    if (rule?.requireBackup) {
      throw new MigsealError('BACKUP_REQUIRED', `The trust policy requires a backup before every apply in environment "${environment}" (requireBackup), and none was asked for; nothing was run. Run apply with --backup DIR.`);
    }
    return undefined;
  }
  const { url, env, cwd } = where;
  const password = databasePassword(url, env);
  const step: BackupStep = {
    taken: undefined,
    take: async ({ runId }) => {
      // The backup code (and the child processes pg_dump runs in) is loaded only for a run that takes one.
      const { takeBackup } = await import('../backup/index.js');
      step.taken = await takeBackup(driver, {
        dir: resolve(cwd, dir),
        runId,
        env,
        lockWaitMs: lockWaitMs ?? LIMITS.pgLockTimeoutMs,
        ...(where.name !== undefined && { name: where.name }),
        ...(url.dialect === 'postgres' && { postgres: { connectionString: url.connectionString, ...(password !== undefined && { password }), ...(url.schema !== undefined && { schema: url.schema }) } }),
      });
      return step.taken;
    },
  };
  return step;
}

/**
 * A run that failed after its backup: its coded error with the backup in its details (the
 * failed audit record, --json and a fleet report's target entry name it), and with
 * `say`, one more sentence naming the file, so the way back is in the failure itself.
 */
export function withBackup(error: unknown, taken: BackupRecord | undefined, say: boolean): unknown {
  if (!taken || !isMigsealError(error)) return error;
  const message = say ? `${error.message} The database was backed up first to ${taken.path}.` : error.message;
  return new MigsealError(error.code, message, { cause: error.cause, details: { ...error.details, backup: { path: taken.path, bytes: taken.bytes, sha256: taken.sha256 } } });
}
