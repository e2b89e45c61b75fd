/**
 * Runs one script on the scratch database as the runner would run it on production: in a
 * transaction when it can, on its own when it must (./../apply/execution-mode.ts). No
 * history is written: the scratch database's schema is all that is looked at.
 */
import type { Driver } from '../db/driver.js';
import { executionMode } from '../apply/execution-mode.js';
import type { ManifestMigration } from '../format/manifest.js';
import { serverErrorContext } from '../apply/server-error.js';
import { gaveUpOnLock, lockHolderContext } from '../apply/lock-holders.js';

/** Why a script failed: what goes into the signed rehearsal, and who held the lock it gave up on (for the operator only). */
export interface ScriptProblem {
  problem: string;
  lockHolders?: string;
}

/**
 * Undefined when the script ran; else what the database said, on one line, as apply says it:
 * PostgreSQL's DETAIL and HINT and its error position as the script's line and column. When it
 * gave up waiting for a lock, who held it goes apart: another session's pid, user and query
 * describe the scratch server at that moment, not the release, and stay out of the signed statement.
 */
export async function runScript(driver: Driver, migration: ManifestMigration, sql: string): Promise<ScriptProblem | undefined> {
  try {
    if ((await executionMode(migration, sql, driver.dialect)) === 'outside') await driver.exec(sql);
    else {
      await driver.transaction(async () => {
        await driver.exec(sql);
        await driver.checkTransactionOpen();
      });
    }
    return undefined;
  } catch (error) {
    const message = String((error as Error)?.message ?? error).replace(/\.$/, '');
    const problem = `${message}${serverErrorContext(error, sql)}`.replace(/\s+/g, ' ');
    if (!gaveUpOnLock(error)) return { problem };
    return { problem: `${problem} (another session held the lock it waited for)`, lockHolders: lockHolderContext(error).replace(/^\. /, '').replace(/\s+/g, ' ') };
  }
}
