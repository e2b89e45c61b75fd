/**
 * T5.8, the server's word: whatever the parser found, after each script the runner asks
 * the database whether its own transaction is still open. These scripts are forced to run
 * in the runner's transaction (as a script the parser misread would be), on real SQLite.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteDriver } from '../../src/db/sqlite.js';
import { describeFailure } from '../../src/apply/failure.js';
import { runScriptStep, ScriptFailure } from '../../src/apply/script-step.js';
import { removeDir, tempDir } from '../helpers/fixtures.js';
import { plannedMigration } from '../helpers/planned-migration.js';

const dir = tempDir('migseal-txcheck-');
afterAll(() => removeDir(dir));


async function forcedStep(path: string, sql: string) {
  const driver = SqliteDriver.open(path);
  const marks: string[] = [];
  try {
    await driver.exec('CREATE TABLE IF NOT EXISTS marks (note TEXT)');
    const error = await runScriptStep({
      driver,
      planned: plannedMigration(sql),
      sql,
      mode: 'transaction',
      markDirty: async (note) => void marks.push(note),
      recordDone: async () => void (await driver.query("INSERT INTO marks VALUES ('done')")),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    return { error, marks };
  } finally {
    await driver.close();
  }
}

const tables = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
};

describe('T5.8 the runner asks SQLite whether its transaction is still open', () => {
  it('a script that commits the runner transaction and succeeds is recorded dirty, never as applied', async () => {
    const path = join(dir, 'ok.sqlite');
    const { error, marks } = await forcedStep(path, 'CREATE TABLE part_one (id INTEGER); COMMIT; CREATE TABLE part_two (id INTEGER);');
    expect(error).toBeInstanceOf(ScriptFailure);
    expect((error as ScriptFailure).partlyCommitted).toBe(true);
    expect(marks).toEqual(["the script ended migseal's transaction itself, so part of its work was committed"]);
    const coded = describeFailure(error, ['5', '6'], 'sqlite:x', 'applied');
    expect(coded.code).toBe('MIGRATION_PARTLY_COMMITTED');
    expect(coded.exitCode).toBe(3);
    expect(coded.message).toBe(
      "Migration 7 (sneaky) ended migseal's transaction itself (a COMMIT, END, ROLLBACK or the like), so part of its work was committed without its history row. Migrations 5, 6 were applied and recorded; sqlite:x is marked dirty until migseal resolve --version 7.",
    );
    // No history row was written in autocommit after the script: 'done' never landed.
    expect(tables(path)).toEqual(['marks', 'part_one', 'part_two']);
  });

  it('a script that commits the runner transaction and then fails says it committed part of its work', async () => {
    const path = join(dir, 'fail.sqlite');
    const { error, marks } = await forcedStep(path, 'CREATE TABLE part_one (id INTEGER); END; INSERT INTO no_such_table VALUES (1);');
    const coded = describeFailure(error, [], 'sqlite:x', 'applied');
    expect(coded.code).toBe('MIGRATION_PARTLY_COMMITTED');
    expect(coded.message).toMatch(/^Migration 7 \(sneaky\) ended migseal's transaction itself \(a COMMIT, END, ROLLBACK or the like\) and then failed: no such table: no_such_table, so part of its work was committed/);
    expect(coded.message).not.toMatch(/rolled back/);
    expect(marks[0]).toMatch(/part of its work was committed, then failed: no such table/);
    expect(tables(path)).toContain('part_one');
  });

  it('a script that fails inside the runner transaction is rolled back and says so', async () => {
    const path = join(dir, 'plain.sqlite');
    const { error, marks } = await forcedStep(path, 'CREATE TABLE part_one (id INTEGER); INSERT INTO no_such_table VALUES (1);');
    expect(describeFailure(error, [], 'sqlite:x', 'applied').message).toMatch(/its changes were rolled back\.$/);
    expect(marks).toEqual([]);
    expect(tables(path)).toEqual(['marks']);
  });
});
