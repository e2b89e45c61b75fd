import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeMigrations } from '../helpers/fixtures.js';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { LOCK, prismaFolder } from './folders.js';
import { expectLayoutError, packWithCli, summary } from './helpers.js';

describe('Prisma Migrate layout', () => {
  it('packs migrations in folder-name order, without downs, with the lock file as dialect', async () => {
    const { manifest } = await packWithCli(prismaFolder());
    expect(manifest.layout).toBe('prisma');
    expect(manifest.dialect).toBe('postgres');
    expect(summary(manifest)).toEqual([
      '20240101090000_init init no-down',
      '20240102090000_add_posts add_posts no-down',
      '20240103090000_post_author_fk post_author_fk no-down',
      '20240104090000_user_email_unique user_email_unique no-down',
      '20240105090000_add_role_enum add_role_enum no-down',
      '20240106090000_add_profile add_profile no-down',
      '20240107090000_posts_title_index_concurrently posts_title_index_concurrently no-down no-tx',
      '20240108090000_add_published add_published no-down',
      '20240109090000_add_comments add_comments no-down',
      '20240110090000_role_add_value role_add_value no-down',
      '20240111090000_drop_profile_bio drop_profile_bio no-down',
    ]);
    expect(manifest.files.map((f) => f.path)).toContain('migration_lock.toml');
    expect(manifest.files.map((f) => f.path)).not.toContain('README.md');
  });

  it('keeps Prisma checksums valid: the SHA-256 of each migration.sql in the bundle is the one Prisma records', async () => {
    const dir = prismaFolder();
    const { out, manifest } = await packWithCli(dir);
    const contents = await decodeBundle(readFileSync(out));
    for (const m of manifest.migrations) {
      const prismaChecksum = createHash('sha256').update(readFileSync(join(dir, m.up!))).digest('hex');
      expect(manifest.files.find((f) => f.path === m.up)!.sha256).toBe(prismaChecksum);
      expect(createHash('sha256').update(contents.files.get(m.up!)!).digest('hex')).toBe(prismaChecksum);
    }
    expect(contents.files.get('migration_lock.toml')!.toString()).toBe(LOCK);
  });

  it('maps the sqlite and mysql providers', async () => {
    expect((await packWithCli(prismaFolder('provider = "sqlite"\n'))).manifest.dialect).toBe('sqlite');
    expect((await packWithCli(prismaFolder("provider = 'mysql' # comment\n"))).manifest.dialect).toBe('mysql');
  });

  it('refuses a --dialect that contradicts the lock file', async () => {
    const out = join(tempDir(), 'b.migseal');
    const { runCli, jsonOf } = await import('../helpers/cli.js');
    const result = await runCli(['pack', prismaFolder(), '--project', 'shop', '--release', '1', '--out', out, '--dialect', 'sqlite', '--json']);
    expect(result.code).toBe(1);
    expect(jsonOf(result)).toMatchObject({ code: 'LAYOUT_INVALID' });
    expect(String(jsonOf(result).message)).toContain('declares dialect postgres, but --dialect is sqlite');
  });

  it('names the file and the rule in a malformed folder', async () => {
    const unknownProvider = prismaFolder('provider = "sqlserver"\n');
    await expectLayoutError(unknownProvider, 'migration_lock.toml', /provider "sqlserver" is not one migseal can run/);

    const tableInLock = prismaFolder('[datasource]\nprovider = "postgresql"\n');
    await expectLayoutError(tableInLock, 'migration_lock.toml', /only top-level "key = value" lines/);

    const empty = prismaFolder();
    rmSync(join(empty, '20240108090000_add_published/migration.sql'));
    writeFileSync(join(empty, '20240108090000_add_published/down.sql'), 'SELECT 1;\n');
    await expectLayoutError(empty, '20240108090000_add_published/', /a migration folder without migration\.sql; Prisma fails to read/);
  });
});
