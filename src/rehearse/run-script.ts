/**
 * Runs one script on the scratch database as the runner would run it on production: in a
 * transaction when it can, on its own when it must (./../apply/execution-mode.ts). No
 * history is written: the scratch database's schema is all that is looked at.
 */
import type { Driver } from '../db/driver.js';
import { executionMode } from '../apply/execution-mode.js';
import type { ManifestMigration } from '../format/manifest.js';

/** Undefined when the script ran; else what the database said. */
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
    return String((error as Error)?.message ?? error).replace(/\s+/g, ' ').replace(/\.$/, '');
  }
}
