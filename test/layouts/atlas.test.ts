import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeMigrations } from '../helpers/fixtures.js';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { expectLayoutError, packWithCli, summary } from './helpers.js';

/**
 * atlas.sum written independently of the code under test, from Atlas's description: files sorted
 * by name, a running SHA-256 over name then bytes, each line the running hash so far, and the
 * first line the SHA-256 of all names and line hashes.
 */
function writeAtlasSum(dir: string): string {
  const names = readdirSync(dir).filter((n) => n.endsWith('.sql')).sort();
  const running = createHash('sha256');
  const total = createHash('sha256');
  let body = '';
  for (const name of names) {
    running.update(name).update(readFileSync(join(dir, name)));
    const h = running.copy().digest('base64');
    total.update(name).update(h);
    body += `${name} h1:${h}\n`;
  }
  const sum = `h1:${total.digest('base64')}\n${body}`;
  writeFileSync(join(dir, 'atlas.sum'), sum);
  return sum;
}

export function atlasFolder(): string {
  const dir = writeMigrations(tempDir('migseal-atlas-'), {
    'README.md': 'Managed with atlas migrate diff.\n',
    '20220318104614_initial.sql': '-- Create "users" table\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n',
    '20220318104615_orders.sql': 'CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, total INTEGER NOT NULL);\n',
    '20220401000000_orders_index.sql': '-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY orders_user ON orders (user_id);\n',
    '20220402000000_products.sql': 'CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT UNIQUE);\n',
    '20220403000000_items.sql': 'CREATE TABLE order_items (order_id INTEGER NOT NULL, product_id INTEGER NOT NULL);\n',
    '20220404000000_status.sql': "ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'new';\n",
    // A directive not separated by a blank line is a statement comment, not a file directive (as in Atlas).
    '20220405000000_users_name.sql': '-- atlas:txmode none\nALTER TABLE users ADD COLUMN name TEXT;\n',
    '20220406000000_audit.sql': '-- atlas:txmode file\n\nCREATE TABLE audit (id INTEGER PRIMARY KEY, at TEXT);\n',
    '20220407000000_audit_index.sql': 'CREATE INDEX audit_at ON audit (at);\n',
    '20220408000000_vacuum.sql': '-- Housekeeping\n-- atlas:txmode none\n\nVACUUM;\n',
    '20220409000000.sql': 'CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT);\n',
  });
  writeAtlasSum(dir);
  return dir;
}

describe('Atlas layout', () => {
  it('packs files in name order, honours atlas:txmode none, and carries atlas.sum', async () => {
    const { manifest } = await packWithCli(atlasFolder());
    expect(manifest.layout).toBe('atlas');
    expect(summary(manifest)).toEqual([
      '20220318104614 initial no-down',
      '20220318104615 orders no-down',
      '20220401000000 orders_index no-down no-tx',
      '20220402000000 products no-down',
      '20220403000000 items no-down',
      '20220404000000 status no-down',
      '20220405000000 users_name no-down',
      '20220406000000 audit no-down',
      '20220407000000 audit_index no-down',
      '20220408000000 vacuum no-down no-tx',
      '20220409000000 20220409000000 no-down',
    ]);
  });

  it('round trip: the bundle carries atlas.sum unchanged, and it still matches the bundled files', async () => {
    const dir = atlasFolder();
    const original = readFileSync(join(dir, 'atlas.sum'));
    const { out } = await packWithCli(dir);
    const { files } = await decodeBundle(readFileSync(out));
    expect(files.get('atlas.sum')).toEqual(original);
    const copy = tempDir('migseal-atlas-copy-');
    for (const [path, data] of files) if (path.endsWith('.sql')) writeFileSync(join(copy, path), data);
    expect(writeAtlasSum(copy)).toBe(original.toString());
  });

  it('refuses a folder whose atlas.sum does not match, naming the file', async () => {
    const edited = atlasFolder();
    writeFileSync(join(edited, '20220404000000_status.sql'), "ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'open';\n");
    await expectLayoutError(edited, '20220404000000_status.sql', /do not match atlas\.sum/);

    const added = atlasFolder();
    writeMigrations(added, { '20220410000000_late.sql': 'SELECT 1;\n' });
    await expectLayoutError(added, '20220410000000_late.sql', /not listed in atlas\.sum/);

    const handEdited = atlasFolder();
    const sum = readFileSync(join(handEdited, 'atlas.sum'), 'utf8').split('\n');
    sum[0] = `h1:${Buffer.alloc(32).toString('base64')}`;
    writeFileSync(join(handEdited, 'atlas.sum'), sum.join('\n'));
    await expectLayoutError(handEdited, 'atlas.sum', /does not match the lines below it/);

    const txmode = atlasFolder();
    writeFileSync(join(txmode, '20220407000000_audit_index.sql'), '-- atlas:txmode sometimes\n\nSELECT 1;\n');
    writeAtlasSum(txmode);
    await expectLayoutError(txmode, '20220407000000_audit_index.sql', /unknown atlas:txmode "sometimes"/);

    const sub = atlasFolder();
    writeMigrations(sub, { 'seed/data.sql': 'SELECT 1;\n' });
    await expectLayoutError(sub, 'seed/data.sql', /Atlas reads <version>_<name>\.sql files in the top folder/);
  });

  it('carries an atlas.sum kept beside golang-migrate files without treating the folder as Atlas', async () => {
    const dir = writeMigrations(tempDir(), { '1_users.up.sql': 'CREATE TABLE users (id INTEGER);\n', '1_users.down.sql': 'DROP TABLE users;\n', 'atlas.sum': 'h1:x\n' });
    const { manifest } = await packWithCli(dir);
    expect(manifest.layout).toBe('golang-migrate');
    expect(manifest.files.map((f) => f.path)).toContain('atlas.sum');
  });
});
