import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeMigrations } from '../helpers/fixtures.js';
import { flywayFolder } from './folders.js';
import { expectLayoutError, packWithCli, summary } from './helpers.js';

describe('Flyway layout', () => {
  it("orders versions Flyway's way, pairs undo scripts, puts repeatables last and follows .sql.conf", async () => {
    const { manifest } = await packWithCli(flywayFolder());
    expect(manifest.layout).toBe('flyway');
    expect(summary(manifest)).toEqual([
      '1 create users',
      '1.1 create orders',
      '1.2 orders index no-down no-tx',
      '1.3 create products no-down',
      '1.10 add status no-down',
      '2 order items',
      '2.0.1 items qty no-down',
      '9 users name no-down',
      '10 audit no-down',
      '11 reporting schema no-down',
      'R active users view no-down no-tx repeatable',
      'R order totals view no-down repeatable',
    ]);
    const paths = manifest.files.map((f) => f.path);
    expect(paths).toContain('V1.2__orders_index.sql.conf');
    expect(paths).toContain('reporting/V11__reporting_schema.sql');
    expect(manifest.migrations[0]!.down).toBe('U1__create_users.sql');
  });

  it('names the file and the rule in a malformed folder', async () => {
    const same = flywayFolder();
    writeMigrations(same, { 'V1.0__also_one.sql': 'SELECT 1;\n' });
    await expectLayoutError(same, 'V1__create_users.sql', /duplicate version 1\b/);

    const orphanUndo = flywayFolder();
    writeMigrations(orphanUndo, { 'U7__nothing.sql': 'SELECT 1;\n' });
    await expectLayoutError(orphanUndo, 'U7__nothing.sql', /an undo script without a versioned migration V7/);

    const conf = flywayFolder();
    writeFileSync(join(conf, 'V9__users_name.sql.conf'), 'shouldExecute=false\n');
    await expectLayoutError(conf, 'V9__users_name.sql.conf', /only executeInTransaction=true\|false and encoding=UTF-8/);

    const orphanConf = flywayFolder();
    writeMigrations(orphanConf, { 'V99__gone.sql.conf': 'executeInTransaction=false\n' });
    await expectLayoutError(orphanConf, 'V99__gone.sql.conf', /a script configuration without its script/);

    const callback = flywayFolder();
    writeMigrations(callback, { 'beforeMigrate.sql': 'SELECT 1;\n' });
    await expectLayoutError(callback, 'beforeMigrate.sql', /a Flyway callback script, which Flyway runs around its commands; migseal does not run callbacks/);

    const twoRepeatables = flywayFolder();
    writeMigrations(twoRepeatables, { 'views/R__active_users_view.sql': 'SELECT 1;\n' });
    await expectLayoutError(twoRepeatables, 'views/R__active_users_view.sql', /duplicate repeatable migration "active users view"/);
  });
});
