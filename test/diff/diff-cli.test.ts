/**
 * migseal diff as a reviewer runs it: real folders packed and signed for real, real tar
 * bytes on disk, the built CLI. Manifest edits (a flag flipped, an order changed) are
 * re-signed by the release key, as a compromised or careless release job would.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { encodeBundle } from '../../src/format/bundle-encode.js';
import { parseManifest, serializeManifest, type Manifest } from '../../src/format/manifest.js';
import { jsonOf, runCli, type CliResult } from '../helpers/cli.js';
import { LIMITS } from '../../src/limits.js';
import { makeKey, packBundle, removeDir, SHOP_MIGRATIONS, tempDir, writeMigrations, writePolicy, type TestKey } from '../helpers/fixtures.js';
import { sealBundle } from '../helpers/verify-world.js';

let dir: string;
let release: TestKey;
let approver: TestKey;
let policy: string;
let count = 0;

beforeAll(() => {
  dir = tempDir('migseal-diff-');
  release = makeKey(dir, 'release');
  approver = makeKey(dir, 'approver');
  policy = writePolicy(dir, { keys: [{ key: release, roles: ['release'] }, { key: approver, roles: ['approve'] }] });
});
afterAll(() => dir && removeDir(dir));

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Packs `files` as golang-migrate migrations, signed by the release key, and writes the bundle. */
async function bundle(files: Record<string, string>, options: { release?: string; project?: string; approve?: boolean } = {}): Promise<string> {
  const n = ++count;
  const migrations = writeMigrations(join(dir, `src-${n}`), files);
  const signers = [{ signer: release.signer, role: 'release' as const }, ...(options.approve ? [{ signer: approver.signer, role: 'approve' as const }] : [])];
  const bytes = await packBundle({ dir: migrations, project: options.project ?? 'shop', release: options.release ?? '41', signers });
  return write(bytes);
}

function write(bytes: Buffer): string {
  const path = join(dir, `bundle-${++count}.migseal`);
  writeFileSync(path, bytes);
  return path;
}

/** Re-signs a bundle whose manifest `edit` changed, keeping its files. */
async function resealed(path: string, edit: (m: Manifest) => void): Promise<string> {
  const contents = await decodeBundle(await import('node:fs').then((fs) => fs.readFileSync(path)));
  const manifest = parseManifest(contents.manifestBytes);
  edit(manifest);
  return write(await sealBundle(serializeManifest(manifest), contents.files, [{ signer: release.signer, role: 'release' }], { project: manifest.project, release: manifest.release }));
}

const diff = (args: string[]): Promise<CliResult> => runCli(['diff', ...args], { cwd: dir });
const withFile = (name: string, text: string) => ({ ...SHOP_MIGRATIONS, [name]: text });

let v41: string;
beforeAll(async () => {
  v41 = await bundle(SHOP_MIGRATIONS);
});

describe('migseal diff', () => {
  it('identical releases: no changes, exit 0, and says the contents are claimed, not verified', async () => {
    const text = await diff([v41, v41]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/UNVERIFIED +contents are claimed, not verified/);
    expect(text.stdout).toContain('migrations   no changes');
    expect(text.stdout).not.toContain('CHANGED AFTER RELEASE');
    const json = jsonOf(await diff([v41, v41, '--json']));
    expect(json).toMatchObject({ ok: true, verified: false, sameRelease: true, direction: 'same', alerts: [], changedAfterRelease: [], fields: [] });
    expect(json).not.toHaveProperty('code');
  });

  it('added migrations: listed, exit 0', async () => {
    const v42 = await bundle({ ...SHOP_MIGRATIONS, '4_add_notes.up.sql': 'ALTER TABLE orders ADD COLUMN note TEXT;\n' }, { release: '42' });
    const result = await diff([v41, v42, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const json = jsonOf(result) as { migrations: { added: Array<{ version: string; name: string }>; changed: unknown[] }; files: { added: Array<{ path: string }> }; direction: string };
    expect(json.direction).toBe('newer');
    expect(json.migrations.added).toEqual([{ version: '4', name: 'add_notes', position: 4 }]);
    expect(json.migrations.changed).toEqual([]);
    expect(json.files.added.map((f) => f.path)).toEqual(['4_add_notes.up.sql']);
    expect((await diff([v41, v42])).stdout).toMatch(/^ {2}\+ 4 +add_notes$/m);
  });

  it("a released migration's up bytes changed: CHANGED AFTER RELEASE first, exit 2, digests and sizes of both", async () => {
    const changedSql = 'CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, total INTEGER NOT NULL, currency TEXT);\n';
    const v42 = await bundle(withFile('2_create_orders.up.sql', changedSql), { release: '42' });
    const text = await diff([v41, v42]);
    expect(text.code).toBe(2);
    expect(text.stdout.split('\n')[0]).toBe('CHANGED AFTER RELEASE: migration 2 (create_orders) was released in 41 and changed in 42: up script bytes');
    expect(text.stdout).toContain(`old sha256:${sha256(SHOP_MIGRATIONS['2_create_orders.up.sql']!)} ${SHOP_MIGRATIONS['2_create_orders.up.sql']!.length} B`);
    expect(text.stdout).toContain(`new sha256:${sha256(changedSql)} ${changedSql.length} B`);
    expect(text.stdout).toContain('databases that ran it refuse this release (MIGRATION_DRIFT)');
    expect(text.stdout.trimEnd().split('\n').at(-1)).toBe('refused: 1 released migration changed (2); exit 2');

    const result = await diff([v41, v42, '--json']);
    expect(result.code).toBe(2);
    const json = jsonOf(result);
    expect(json).toMatchObject({ ok: false, code: 'MIGRATION_CHANGED_AFTER_RELEASE', exitCode: 2, changedAfterRelease: ['2'] });
    expect((json.migrations as { changed: unknown[] }).changed).toEqual([
      {
        version: '2',
        name: 'create_orders',
        scripts: [{ script: 'up', old: { path: '2_create_orders.up.sql', sha256: sha256(SHOP_MIGRATIONS['2_create_orders.up.sql']!), size: SHOP_MIGRATIONS['2_create_orders.up.sql']!.length }, new: { path: '2_create_orders.up.sql', sha256: sha256(changedSql), size: changedSql.length } }],
        flags: [],
        upChanged: true,
      },
    ]);
    expect(json.alerts).toEqual([expect.objectContaining({ kind: 'changed-after-release', version: '2' })]);
  });

  it('a down script changed: changed after release (exit 2), but apply would not see drift', async () => {
    const v42 = await bundle(withFile('1_create_users.down.sql', 'DROP TABLE users CASCADE;\n'), { release: '42' });
    const result = await diff([v41, v42, '--json']);
    expect(result.code).toBe(2);
    const changed = (jsonOf(result).migrations as { changed: Array<{ version: string; scripts: Array<{ script: string }>; upChanged: boolean }> }).changed;
    expect(changed.map((c) => [c.version, c.scripts.map((s) => s.script), c.upChanged])).toEqual([['1', ['down'], false]]);
    const text = await diff([v41, v42]);
    expect(text.stdout.split('\n')[0]).toMatch(/^CHANGED AFTER RELEASE: migration 1 \(create_users\) .*: down script bytes$/);
    expect(text.stdout).not.toContain('MIGRATION_DRIFT');
  });

  it('a removed released migration is flagged, and does not fail the diff', async () => {
    const { ['3_index_orders.up.sql']: _up, ['3_index_orders.down.sql']: _down, ...rest } = SHOP_MIGRATIONS;
    const v42 = await bundle(rest, { release: '42' });
    const result = await diff([v41, v42]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('REMOVED AFTER RELEASE: migration 3 (index_orders) was released in 41 and is missing from 42');
    const json = jsonOf(await diff([v41, v42, '--json']));
    expect(json.alerts).toEqual([expect.objectContaining({ kind: 'removed-after-release', version: '3' })]);
    expect((json.files as { removed: Array<{ path: string }> }).removed.map((f) => f.path).sort()).toEqual(['3_index_orders.down.sql', '3_index_orders.up.sql']);
  });

  it('renamed: same version and bytes, another name; not a change', async () => {
    const { ['3_index_orders.up.sql']: up, ['3_index_orders.down.sql']: down, ...rest } = SHOP_MIGRATIONS;
    const v42 = await bundle({ ...rest, '3_orders_by_user.up.sql': up!, '3_orders_by_user.down.sql': down! }, { release: '42' });
    const result = await diff([v41, v42, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const json = jsonOf(result) as { migrations: { renamed: unknown[]; changed: unknown[]; added: unknown[]; removed: unknown[] } };
    expect(json.migrations).toMatchObject({ changed: [], added: [], removed: [] });
    expect(json.migrations.renamed).toEqual([
      { version: '3', name: 'orders_by_user', oldName: 'index_orders', oldPaths: ['3_index_orders.up.sql', '3_index_orders.down.sql'], newPaths: ['3_orders_by_user.up.sql', '3_orders_by_user.down.sql'] },
    ]);
    expect((await diff([v41, v42])).stdout).toMatch(/~ 3 +index_orders → orders_by_user \(same bytes\)/);
  });

  it('the transactional flag flipped with the same bytes: changed after release', async () => {
    const v42 = await resealed(v41, (m) => {
      m.release = '42';
      m.migrations[2]!.transactional = false;
    });
    const result = await diff([v41, v42, '--json']);
    expect(result.code).toBe(2);
    const json = jsonOf(result);
    expect(json.changedAfterRelease).toEqual(['3']);
    expect((json.migrations as { changed: unknown[] }).changed).toEqual([{ version: '3', name: 'index_orders', scripts: [], flags: [{ flag: 'transactional', old: true, new: false }], upChanged: false }]);
    expect((await diff([v41, v42])).stdout.split('\n')[0]).toMatch(/^CHANGED AFTER RELEASE: migration 3 .*: transactional true → false$/);
  });

  it('reordered migrations are named once each, not everything they jumped over', async () => {
    const v42 = await resealed(v41, (m) => {
      m.release = '42';
      m.migrations = [m.migrations[1]!, m.migrations[2]!, m.migrations[0]!];
    });
    const json = jsonOf(await diff([v41, v42, '--json']));
    expect((json.migrations as { moved: unknown[] }).moved).toEqual([{ version: '1', name: 'create_users', oldPosition: 1, newPosition: 3 }]);
    expect(json.alerts).toEqual([expect.objectContaining({ kind: 'moved', version: '1' })]);
  });

  it('NEW older than OLD is said first; so is another project', async () => {
    const v40 = await bundle(SHOP_MIGRATIONS, { release: '40' });
    const older = await diff([v41, v40]);
    expect(older.code, older.stderr).toBe(0);
    expect(older.stdout.split('\n')[0]).toBe('NOT NEWER: NEW (release 40) is older than OLD (release 41): the arguments may be swapped');
    expect(jsonOf(await diff([v41, v40, '--json']))).toMatchObject({ direction: 'older', alerts: [expect.objectContaining({ kind: 'release-not-newer' })] });

    const blog = await bundle(SHOP_MIGRATIONS, { project: 'blog', release: '42' });
    const other = await diff([v41, blog]);
    expect(other.stdout.split('\n')[0]).toBe('OTHER PROJECT: NEW is project blog, OLD is project shop: these are not two releases of one project');
    expect(other.stdout).toMatch(/project +shop → blog/);
    const refused = await diff([v41, blog, '--trust', policy, '--json']);
    expect(refused.code).toBe(2);
    expect(jsonOf(refused)).toMatchObject({ ok: false, code: 'WRONG_PROJECT', message: expect.stringMatching(/^NEW .*bundle-\d+\.migseal: /) });
  });

  it('a second release with the same number and other contents is called out', async () => {
    const again = await bundle(withFile('4_more.up.sql', 'SELECT 1;\n'), { release: '41' });
    expect(jsonOf(await diff([v41, again, '--json'])).alerts).toEqual([expect.objectContaining({ kind: 'same-release-other-contents' })]);
  });

  it('signers added and removed are listed by role and key', async () => {
    const approved = await bundle(SHOP_MIGRATIONS, { release: '42', approve: true });
    const json = jsonOf(await diff([v41, approved, '--json']));
    expect(json.signers).toEqual({ added: [{ role: 'approve', signer: `key ${approver.keyId}`, keyId: approver.keyId }], removed: [] });
    const verified = jsonOf(await diff([v41, approved, '--trust', policy, '--json']));
    expect(verified.signers).toEqual({ added: [{ role: 'approve', signer: 'approver', keyId: approver.keyId }], removed: [] });
  });
});

describe('migseal diff --trust', () => {
  it('verifies both bundles and says so', async () => {
    const v42 = await bundle({ ...SHOP_MIGRATIONS, '4_more.up.sql': 'CREATE TABLE more (id INTEGER);\n' }, { release: '42' });
    const text = await diff([v41, v42, '--trust', policy]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`verified          both bundles, against ${policy} for environment "default"`);
    expect(text.stdout).not.toContain('UNVERIFIED');
    expect(jsonOf(await diff([v41, v42, '--trust', policy, '--env', 'production', '--json']).then((r) => (expect(r.code).toBe(2), r)))).toMatchObject({ code: 'THRESHOLD_NOT_MET' });
    expect(jsonOf(await diff([v41, v42, '--trust', policy, '--json']))).toMatchObject({ ok: true, verified: true, environment: 'default' });
  });

  it('refuses a tampered file with its code, with or without --trust, naming which bundle', async () => {
    const contents = await decodeBundle(await import('node:fs').then((fs) => fs.readFileSync(v41)));
    const files = new Map(contents.files);
    files.set('2_create_orders.up.sql', Buffer.from('DROP TABLE users;\n'.padEnd(SHOP_MIGRATIONS['2_create_orders.up.sql']!.length - 1) + '\n'));
    const tampered = write(encodeBundle({ manifestBytes: contents.manifestBytes, files, signatures: contents.signatures.values() }));
    for (const trust of [[], ['--trust', policy]]) {
      const result = await diff([v41, tampered, ...trust, '--json']);
      expect(result.code, result.stdout).toBe(2);
      expect(jsonOf(result)).toMatchObject({ ok: false, code: 'FILE_DIGEST_MISMATCH', message: expect.stringMatching(/^NEW .*: The file 2_create_orders\.up\.sql does not match/) });
      expect(result.stderr).toMatch(/^migseal: refused: NEW /);
    }
  });

  it('an unsigned release is only claimed: readable without --trust, refused with it', async () => {
    const unsigned = write(await packBundle({ dir: writeMigrations(join(dir, 'unsigned'), SHOP_MIGRATIONS), release: '42' }));
    expect((await diff([v41, unsigned])).code).toBe(0);
    const refused = await diff([unsigned, v41, '--trust', policy, '--json']);
    expect(refused.code).toBe(2);
    expect(jsonOf(refused)).toMatchObject({ code: 'BUNDLE_UNSIGNED', message: expect.stringMatching(/^OLD /) });
  });

  it('verifies a past release beyond its signed expiry, and says hosts refuse it', async () => {
    const expired = write(await packBundle({ dir: writeMigrations(join(dir, 'expired'), SHOP_MIGRATIONS), release: '40', expiresAt: '2021-01-01T00:00:00Z', signers: [{ signer: release.signer, role: 'release' }] }));
    const text = await diff([expired, v41, '--trust', policy]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('  old stale         The bundle expired at 2021-01-01T00:00:00Z. Hosts refuse to apply it; its signatures and files verify.');
    expect(text.stdout).not.toContain('new stale');
    expect(jsonOf(await diff([expired, v41, '--trust', policy, '--json']))).toMatchObject({ ok: true, verified: true, old: { release: '40', verified: true, stale: 'The bundle expired at 2021-01-01T00:00:00Z.' }, new: { release: '41' } });
    const verify = await runCli(['verify', expired, '--trust', policy, '--json']);
    expect({ code: verify.code, error: jsonOf(verify).code }).toEqual({ code: 2, error: 'BUNDLE_EXPIRED' });
  });

  it('--env without --trust is a usage error', async () => {
    const result = await diff([v41, v41, '--env', 'production', '--json']);
    expect(result.code).toBe(1);
    expect(jsonOf(result)).toMatchObject({ code: 'USAGE' });
  });
});

describe('migseal diff --patch', () => {
  it('shows the changed lines with control characters and bidi overrides escaped', async () => {
    const hostile = 'CREATE TABLE orders (id INTEGER PRIMARY KEY);\n-- \u001b[2J\u001b]0;owned\u0007 \u202eevil\u202c \u009b31m\r\n';
    const v42 = await bundle(withFile('2_create_orders.up.sql', hostile), { release: '42' });
    const result = await diff([v41, v42, '--patch']);
    expect(result.code).toBe(2);
    expect(result.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(result.stdout).toContain('  +-- \\x1b[2J\\x1b]0;owned\\x07 \\u{202e}evil\\u{202c} \\x9b31m\\r');
    expect(result.stdout).toContain('  --- a/2_create_orders.up.sql\n  +++ b/2_create_orders.up.sql\n  @@ -1 +1,2 @@\n  -CREATE TABLE orders');
    const json = jsonOf(await diff([v41, v42, '--patch', '--json']));
    expect(json.patches).toEqual([{ version: '2', script: 'up', patch: { lines: expect.arrayContaining(['+CREATE TABLE orders (id INTEGER PRIMARY KEY);']) } }]);
    expect(jsonOf(await diff([v41, v42, '--json']))).not.toHaveProperty('patches');
  });

  it("shows an added migration's scripts whole, as + lines under a header, bounded by maxPatchLines", async () => {
    const long = Array.from({ length: LIMITS.maxPatchLines + 5 }, (_, i) => `INSERT INTO audit_notes (n) VALUES (${i});`).join('\n');
    const v42 = await bundle(
      { ...SHOP_MIGRATIONS, '4_notes.up.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY);\nINSERT INTO notes VALUES (1);\n', '4_notes.down.sql': 'DROP TABLE notes;\n', '5_bulk.up.sql': `${long}\n` },
      { release: '42' },
    );
    const result = await diff([v41, v42, '--patch']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'patch 4 up (added)\n  --- /dev/null\n  +++ b/4_notes.up.sql\n  @@ -0,0 +1,2 @@\n  +CREATE TABLE notes (id INTEGER PRIMARY KEY);\n  +INSERT INTO notes VALUES (1);\npatch 4 down (added)\n  --- /dev/null\n  +++ b/4_notes.down.sql\n  @@ -0,0 +1 @@\n  +DROP TABLE notes;\npatch 5 up (added)\n',
    );
    expect(result.stdout).toContain(`  +INSERT INTO audit_notes (n) VALUES (${LIMITS.maxPatchLines - 4});\n  (8 more lines not shown)\n`);
    const json = jsonOf(await diff([v41, v42, '--patch', '--json']));
    expect(json.patches).toEqual([
      { version: '4', script: 'up', added: true, patch: { lines: ['--- /dev/null', '+++ b/4_notes.up.sql', '@@ -0,0 +1,2 @@', '+CREATE TABLE notes (id INTEGER PRIMARY KEY);', '+INSERT INTO notes VALUES (1);'] } },
      { version: '4', script: 'down', added: true, patch: { lines: ['--- /dev/null', '+++ b/4_notes.down.sql', '@@ -0,0 +1 @@', '+DROP TABLE notes;'] } },
      { version: '5', script: 'up', added: true, patch: { lines: expect.any(Array), truncated: 8 } },
    ]);
  });

  it('escapes control characters in names from a manifest, too', async () => {
    const v42 = await resealed(v41, (m) => {
      m.release = '42';
      m.migrations[0]!.name = 'users\u001b[31m';
    });
    const result = await diff([v41, v42]);
    expect(result.stdout).not.toContain('\u001b');
    expect(result.stdout).toContain('users\\x1b[31m');
  });
});
