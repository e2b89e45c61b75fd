import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeMigrations } from '../helpers/fixtures.js';
import { dieselFolder } from './folders.js';
import { expectLayoutError, packWithCli, summary } from './helpers.js';

describe('Diesel layout', () => {
  it('reads versions without dashes, in Diesel order, with metadata.toml deciding the transaction', async () => {
    const { manifest } = await packWithCli(dieselFolder());
    expect(manifest.layout).toBe('diesel');
    expect(summary(manifest)).toEqual([
      '00000000000000 diesel_initial_setup',
      '20151219180527 create_users',
      '20160105090000 create_posts',
      '20160310120000 add_published',
      '201604010000000000 index_posts no-tx',
      '20160501000000 create_comments',
      '20160601000000 seed_countries no-down',
      '20160701000000 create_tags',
      '20160801000000 post_tags',
      '20170101000000 users_email',
      '20170201000000 users_email_index',
    ]);
    const paths = manifest.files.map((f) => f.path);
    // The data file travels with the bundle (Diesel ignores it, and so does the runner); the README does not.
    expect(paths).toContain('countries.csv');
    expect(paths).toContain('2016-04-01-000000-0000_index_posts/metadata.toml');
    expect(paths).not.toContain('README.md');
    expect(manifest.migrations.find((m) => m.name === 'index_posts')!.up).toBe('2016-04-01-000000-0000_index_posts/up.sql');
  });

  it('names the file and the rule in a malformed folder', async () => {
    const notBoolean = dieselFolder();
    writeFileSync(join(notBoolean, '2016-07-01-000000_create_tags/metadata.toml'), 'run_in_transaction = "no"\n');
    await expectLayoutError(notBoolean, '2016-07-01-000000_create_tags/metadata.toml', /run_in_transaction must be true or false/);

    const noUp = dieselFolder();
    rmSync(join(noUp, '2016-08-01-000000_post_tags/up.sql'));
    await expectLayoutError(noUp, '2016-08-01-000000_post_tags/', /a migration folder without up\.sql; Diesel refuses/);

    const emptyUp = dieselFolder();
    writeFileSync(join(emptyUp, '2016-08-01-000000_post_tags/up.sql'), '');
    await expectLayoutError(emptyUp, '2016-08-01-000000_post_tags/up.sql', /an empty up\.sql; Diesel refuses to run an empty migration/);

    const duplicate = dieselFolder();
    writeMigrations(duplicate, { '20160105090000_posts_again/up.sql': 'SELECT 1;\n' });
    await expectLayoutError(duplicate, '20160105090000_posts_again/', /duplicate version 20160105090000/);

    const badName = dieselFolder();
    writeMigrations(badName, { 'create things!/up.sql': 'SELECT 1;\n' });
    await expectLayoutError(badName, 'create things!/', /version "create things!" .* must be 1 to 50 letters or digits/);
  });
});
