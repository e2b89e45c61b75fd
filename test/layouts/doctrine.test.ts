import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeKey, tempDir, writeMigrations, writePolicy } from '../helpers/fixtures.js';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { migrationScript } from '../../src/format/migration-script.js';
import { doctrineFolder, php } from './folders.js';
import { expectLayoutError, packWithCli, summary } from './helpers.js';


describe('Doctrine Migrations layout', () => {
  it('packs the PHP classes as files for their own runner, with the configuration and base class', async () => {
    const { manifest } = await packWithCli(doctrineFolder());
    expect(manifest.layout).toBe('doctrine');
    expect(summary(manifest)).toHaveLength(11);
    expect(summary(manifest)[0]).toBe('20240101000000 Version20240101000000 no-down native');
    expect(manifest.migrations.map((m) => m.version)).toEqual([...manifest.migrations.map((m) => m.version)].sort());
    const paths = manifest.files.map((f) => f.path);
    expect(paths).toContain('migrations.php');
    expect(paths).toContain('migrations/AppMigration.php');
    expect(paths).not.toContain('README.md');
  });

  it('yields no SQL to a runner: the migration must go through exec', async () => {
    const { out, manifest } = await packWithCli(doctrineFolder());
    const { files } = await decodeBundle(readFileSync(out));
    expect(() => migrationScript(manifest.migrations[0]!, 'up', files)).toThrow(expect.objectContaining({ code: 'NATIVE_RUNNER_REQUIRED' }));
  });

  it('hands the verified classes to the native tool through exec', async () => {
    const keys = tempDir();
    const release = makeKey(keys, 'release');
    const policy = writePolicy(keys, { keys: [{ key: release, roles: ['release'] }] });
    const out = join(keys, 'app-7.migseal');
    const packed = await runCli(['pack', doctrineFolder(), '--project', 'shop', '--release', '7', '--key', release.privatePath, '--out', out]);
    expect(packed.code).toBe(0);
    const result = await runCli(['exec', out, '--trust', policy, '--audit-log', join(keys, 'audit.jsonl'), '--', 'sh', '-c', 'grep -l "isTransactional" "$1"/migrations/*.php | wc -l; head -c 5 "$2"', 'sh', '{dir}', '{dir}/migrations.php']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('1\n<?php');
  });

  it('names the file and the rule in a malformed folder', async () => {
    const stray = doctrineFolder();
    writeFileSync(join(stray, 'migrations/schema.sql'), 'CREATE TABLE x (id INT);\n');
    await expectLayoutError(stray, 'migrations/schema.sql', /expected Version<timestamp>\.php classes/);

    const duplicate = doctrineFolder();
    writeMigrations(duplicate, { 'legacy/Version20240105000000.php': php('20240105000000', 'SELECT 1') });
    await expectLayoutError(duplicate, 'migrations/Version20240105000000.php', /duplicate version 20240105000000/);
  });
});
