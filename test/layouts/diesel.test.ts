import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeMigrations } from '../helpers/fixtures.js';
import { expectLayoutError, packWithCli, summary } from './helpers.js';

/** A Diesel folder with mixed version formats, a non-transactional migration, a missing down, a README and a data file. */
export function dieselFolder(): string {
  return writeMigrations(tempDir('migseal-diesel-'), {
    'README.md': 'Run `diesel migration run`.\n',
    'countries.csv': 'code,name\nFR,France\n',
    '.keep': '',
    '00000000000000_diesel_initial_setup/up.sql': 'CREATE TABLE diesel_setup_marker (id INTEGER PRIMARY KEY);\n',
    '00000000000000_diesel_initial_setup/down.sql': 'DROP TABLE diesel_setup_marker;\n',
    '2015-12-19-180527_create_users/up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n',
    '2015-12-19-180527_create_users/down.sql': 'DROP TABLE users;\n',
    '2016-01-05-090000_create_posts/up.sql': 'CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), title TEXT NOT NULL);\n',
    '2016-01-05-090000_create_posts/down.sql': 'DROP TABLE posts;\n',
    '20160310120000_add_published/up.sql': 'ALTER TABLE posts ADD COLUMN published BOOLEAN NOT NULL DEFAULT FALSE;\n',
    '20160310120000_add_published/down.sql': 'ALTER TABLE posts DROP COLUMN published;\n',
    '2016-04-01-000000-0000_index_posts/up.sql': 'CREATE INDEX CONCURRENTLY posts_user_id ON posts (user_id);\n',
    '2016-04-01-000000-0000_index_posts/down.sql': 'DROP INDEX CONCURRENTLY posts_user_id;\n',
    '2016-04-01-000000-0000_index_posts/metadata.toml': '# CREATE INDEX CONCURRENTLY cannot run in a transaction\nrun_in_transaction = false\n',
    '2016-05-01-000000_create_comments/up.sql': 'CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL, body TEXT);\n',
    '2016-05-01-000000_create_comments/down.sql': 'DROP TABLE comments;\n',
    '2016-05-01-000000_create_comments/metadata.toml': 'run_in_transaction = true\n',
    '2016-06-01-000000_seed_countries/up.sql': "CREATE TABLE countries (code TEXT PRIMARY KEY, name TEXT);\nINSERT INTO countries VALUES ('FR', 'France');\n",
    '2016-07-01-000000_create_tags/up.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT UNIQUE);\n',
    '2016-07-01-000000_create_tags/down.sql': 'DROP TABLE tags;\n',
    '2016-08-01-000000_post_tags/up.sql': 'CREATE TABLE post_tags (post_id INTEGER NOT NULL, tag_id INTEGER NOT NULL, PRIMARY KEY (post_id, tag_id));\n',
    '2016-08-01-000000_post_tags/down.sql': 'DROP TABLE post_tags;\n',
    '20170101000000_users_email/up.sql': 'ALTER TABLE users ADD COLUMN email TEXT;\n',
    '20170101000000_users_email/down.sql': 'ALTER TABLE users DROP COLUMN email;\n',
    '2017-02-01-000000_users_email_index/up.sql': 'CREATE INDEX users_email ON users (email);\n',
    '2017-02-01-000000_users_email_index/down.sql': 'DROP INDEX users_email;\n',
  });
}

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
    const unknownKey = dieselFolder();
    writeFileSync(join(unknownKey, '2016-07-01-000000_create_tags/metadata.toml'), 'run_in_transaction = false\nrun_on_sundays = true\n');
    await expectLayoutError(unknownKey, '2016-07-01-000000_create_tags/metadata.toml', /unknown key "run_on_sundays"/);

    const notBoolean = dieselFolder();
    writeFileSync(join(notBoolean, '2016-07-01-000000_create_tags/metadata.toml'), 'run_in_transaction = "no"\n');
    await expectLayoutError(notBoolean, '2016-07-01-000000_create_tags/metadata.toml', /run_in_transaction must be true or false/);

    const noUp = dieselFolder();
    rmSync(join(noUp, '2016-08-01-000000_post_tags/up.sql'));
    await expectLayoutError(noUp, '2016-08-01-000000_post_tags/', /a migration folder without up\.sql/);

    const stray = dieselFolder();
    writeFileSync(join(stray, '2016-08-01-000000_post_tags/up.psql'), 'SELECT 1;\n');
    await expectLayoutError(stray, '2016-08-01-000000_post_tags/up.psql', /Diesel reads only up\.sql, down\.sql and metadata\.toml/);

    const duplicate = dieselFolder();
    writeMigrations(duplicate, { '20160105090000_posts_again/up.sql': 'SELECT 1;\n' });
    await expectLayoutError(duplicate, '20160105090000_posts_again/', /duplicate version 20160105090000/);

    const badName = dieselFolder();
    writeMigrations(badName, { 'create_things/up.sql': 'SELECT 1;\n' });
    await expectLayoutError(badName, 'create_things/up.sql', /Diesel folders are named <version>_<name>/);
  });
});
