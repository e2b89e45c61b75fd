/**
 * Runs one script on the scratch database as the runner would run it on production: in a
 * transaction when it can, on its own when it must (./../apply/execution-mode.ts). No
 * history is written: the scratch database's schema is all that is looked at.
 */
import type { Driver } from '../db/driver.js';
import { executionMode } from '../apply/execution-mode.js';
import type { ManifestMigration } from '../format/manifest.js';
import { serverErrorContext } from '../apply/server-error.js';
import { lockHolderContext } from '../apply/lock-holders.js';

/**
 * Undefined when the script ran; else what the database said, on one line, as apply says it:
 * PostgreSQL's DETAIL and HINT, its error position as the script's line and column, and, when it
 * gave up waiting for a lock, who held it.
 */
export async function runScript(driver: Driver, migration: ManifestMigration, sql: string): Promise<string | undefined> {
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
    return `${message}${serverErrorContext(error, sql)}${lockHolderContext(error)}`.replace(/\s+/g, ' ');
  }
}
