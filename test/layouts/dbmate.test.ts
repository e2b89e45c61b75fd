import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeMigrations } from '../helpers/fixtures.js';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { migrationScript } from '../../src/format/migration-script.js';
import { dbmateFile, dbmateFolder } from './folders.js';
import { expectLayoutError, packWithCli, summary } from './helpers.js';

describe('dbmate layout', () => {
  it('packs one migration per file, both directions cut by sections, transaction:false honoured', async () => {
    const dir = dbmateFolder();
    const { out, manifest } = await packWithCli(dir);
    expect(manifest.layout).toBe('dbmate');
    expect(summary(manifest)).toEqual([
      '20240101000001 create_users',
      '20240101000002 create_orders',
      '20240101000003 orders_user_index no-tx',
      '20240101000004 add_status',
      '20240101000005 create_products',
      '20240101000006 order_items',
      '20240101000007 seed_products',
      '20240101000008 users_name',
      '20240101000009 vacuum no-tx',
      '20240101000010 create_audit',
      '20240101000011 audit_index',
    ]);
    expect(manifest.migrations.every((x) => x.sections === 'dbmate' && x.up === x.down)).toBe(true);

    // The runner gets only the requested block, cut from the verified bytes.
    const { files } = await decodeBundle(readFileSync(out));
    const status = manifest.migrations[3]!;
    const up = migrationScript(status, 'up', files).toString();
    const down = migrationScript(status, 'down', files).toString();
    expect(up).toBe("-- migrate:up\nALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'new';\n\n");
    expect(down).toBe('-- migrate:down\nALTER TABLE orders DROP COLUMN status;\n');
    expect(Buffer.concat([readFileSync(join(dir, status.up!)).subarray(0, readFileSync(join(dir, status.up!)).length - up.length - down.length), Buffer.from(up + down)])).toEqual(readFileSync(join(dir, status.up!)));
  });

  it("names the file and the rule when a file breaks dbmate's rules", async () => {
    const noDown = dbmateFolder();
    writeFileSync(join(noDown, '20240101000008_users_name.sql'), '-- migrate:up\nALTER TABLE users ADD COLUMN name TEXT;\n');
    await expectLayoutError(noDown, '20240101000008_users_name.sql', /needs a down block/);

    const before = dbmateFolder();
    writeFileSync(join(before, '20240101000005_create_products.sql'), `CREATE TYPE x AS ENUM ('a');\n${dbmateFile('SELECT 1;', 'SELECT 1;')}`);
    await expectLayoutError(before, '20240101000005_create_products.sql', /statements may not precede/);

    const order = dbmateFolder();
    writeFileSync(join(order, '20240101000005_create_products.sql'), '-- migrate:down\nSELECT 1;\n-- migrate:up\nSELECT 1;\n');
    await expectLayoutError(order, '20240101000005_create_products.sql', /must come before/);

    const duplicate = dbmateFolder();
    writeMigrations(duplicate, { '20240101000005_again.sql': dbmateFile('SELECT 1;', 'SELECT 1;') });
    await expectLayoutError(duplicate, '20240101000005_create_products.sql', /duplicate version 20240101000005 .*dbmate would fail recording the second/);

    const mixed = dbmateFolder();
    writeFileSync(join(mixed, '20240101000010_create_audit.sql'), dbmateFile('SELECT 1;', 'SELECT 1;', '', ' transaction:false'));
    await expectLayoutError(mixed, '20240101000010_create_audit.sql', /one transaction mode per migration/);

    const twoSections = dbmateFolder();
    writeFileSync(join(twoSections, '20240101000012_two.sql'), `${dbmateFile('SELECT 1;', 'SELECT 1;')}${dbmateFile('SELECT 2;', 'SELECT 2;')}`);
    await expectLayoutError(twoSections, '20240101000012_two.sql', /a second '-- migrate:up' section/);
  });
});
