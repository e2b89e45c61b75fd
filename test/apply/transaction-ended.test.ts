/**
 * T5.7, T5.8 on SQLite: a signed migration that ends the runner's transaction itself, in
 * every spelling, then fails. The runner finds the transaction control with SQLite's parser,
 * runs the script outside its transaction between dirty marks, and never says "rolled back":
 * exit 3, the message says what ran before may be committed, and the history row is dirty.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir } from '../helpers/fixtures.js';
import { codeOf, createWorld, rows, tableNames, V1, type RunnerWorld } from '../helpers/runner-world.js';

let world: RunnerWorld;
let n = 0;

beforeAll(() => {
  world = createWorld('migseal-txend-');
});
afterAll(() => removeDir(world.dir));

describe('T5.8 a migration that ends the transaction itself, then fails (SQLite)', () => {
  it.each([
    ['COMMIT', 'COMMIT;'],
    ['END', 'END;'],
    ['END TRANSACTION', 'END TRANSACTION;'],
    ['ROLLBACK', 'ROLLBACK;'],
    ['COMMIT then its own BEGIN', 'COMMIT;\nBEGIN;'],
    ['COMMIT after a $ in an identifier', 'CREATE TABLE a$commit (id INTEGER);\ncommit;'],
    ['COMMIT after a comment, on the same line', '/* x */COMMIT;'],
  ])('%s', async (_name, spelling) => {
    const db = join(world.dir, `db-${n++}.sqlite`);
    const bundle = await world.bundle(`ends-${n}`, {
      ...V1,
      '3_sneaky.up.sql': `CREATE TABLE part_one (id INTEGER);\n${spelling}\nCREATE TABLE part_two (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n`,
    });
    const result = await world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--json']);
    expect(result.code).toBe(3);
    expect(codeOf(result)).toBe('MIGRATION_FAILED');
    expect(result.stderr).toMatch(/Migration 3 \(sneaky\) failed: .*Migrations 1, 2 were applied and recorded; it ran outside migseal's transaction, so what it did before failing may be committed, and sqlite:.* is marked dirty until migseal resolve --version 3\./);
    expect(result.stderr).not.toMatch(/rolled back/);
    expect(tableNames(db)).toContain('part_one');
    expect(rows(db, "SELECT state FROM migseal_migrations WHERE version = '3'")).toEqual([{ state: 'dirty' }]);
    expect(rows(db, 'SELECT outcome FROM migseal_runs')).toEqual([{ outcome: 'failed' }]);
  });

  it('a savepoint released and rolled back to inside the script stays inside the runner transaction', async () => {
    const db = join(world.dir, `db-${n++}.sqlite`);
    const bundle = await world.bundle(`savepoint-${n}`, {
      ...V1,
      '3_savepoints.up.sql': 'SAVEPOINT a;\nCREATE TABLE kept (id INTEGER);\nRELEASE a;\nSAVEPOINT b;\nCREATE TABLE undone (id INTEGER);\nROLLBACK TO b;\nINSERT INTO no_such_table VALUES (1);\n',
    });
    const result = await world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--json']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/Migration 3 \(savepoints\) failed: no such table: no_such_table\. Migrations 1, 2 were applied and recorded; its changes were rolled back\./);
    // Rolled back means rolled back: nothing of migration 3 is in the database.
    expect(tableNames(db)).not.toContain('kept');
    expect(rows(db, "SELECT count(*) AS n FROM migseal_migrations WHERE version = '3'")).toEqual([{ n: 0 }]);
  });
});
