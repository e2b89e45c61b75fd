import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeMigrations } from '../helpers/fixtures.js';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { atlasFolder, writeAtlasSum } from './folders.js';
import { expectLayoutError, packWithCli, summary } from './helpers.js';


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
