import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readFolder } from '../../src/layouts/folder.js';
import { MigsealError } from '../../src/errors.js';

describe('readFolder', () => {
  it('lists regular files in sub-folders, sorted by bytes, skipping dot folders and other kinds of file', () => {
    const root = mkdtempSync(join(tmpdir(), 'migseal-folder-'));
    mkdirSync(join(root, 'sub/deeper'), { recursive: true });
    mkdirSync(join(root, '.git'));
    writeFileSync(join(root, '.git/HEAD'), 'x');
    for (const p of ['b.sql', 'a.sql', 'Z.sql', '.hidden.sql', 'sub/c.sql', 'sub/deeper/d.sql']) writeFileSync(join(root, p), p);
    execFileSync('mkfifo', [join(root, 'pipe')]);
    const listing = readFolder(root);
    expect(listing.paths).toEqual(['.hidden.sql', 'Z.sql', 'a.sql', 'b.sql', 'sub/c.sql', 'sub/deeper/d.sql']);
    expect(listing.read('sub/deeper/d.sql').toString()).toBe('sub/deeper/d.sql');
  });

  it('refuses a symbolic link, to a file or to a folder, in any sub-folder', () => {
    for (const [at, target] of [['link.sql', 'a.sql'], ['sub/link', '..']] as const) {
      const root = mkdtempSync(join(tmpdir(), 'migseal-folder-'));
      mkdirSync(join(root, 'sub'));
      writeFileSync(join(root, 'a.sql'), 'SELECT 1;');
      symlinkSync(target, join(root, at));
      let error: unknown;
      try {
        readFolder(root);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(MigsealError);
      expect((error as MigsealError).code).toBe('LAYOUT_INVALID');
      expect((error as MigsealError).message).toBe(`${at}: symbolic links are not packed; copy the file into the folder.`);
    }
  });
});

describe('readFolder reads', () => {
  it('every size around its one-read buffer exactly as readFileSync does, each file in memory of its own', () => {
    const root = mkdtempSync(join(tmpdir(), 'migseal-folder-'));
    const sizes = [0, 1, 300, 4095, 4096, 65535, 65536, 65537, 200_000];
    sizes.forEach((n, i) => writeFileSync(join(root, `f${i}.sql`), Buffer.alloc(n, 97 + i)));
    const listing = readFolder(root);
    const read = sizes.map((_, i) => listing.read(`f${i}.sql`));
    sizes.forEach((n, i) => {
      expect(read[i]!.equals(readFileSync(join(root, `f${i}.sql`)))).toBe(true);
      expect(read[i]!.length).toBe(n);
      expect(read[i]!.byteOffset).toBe(0);
      expect(read[i]!.buffer.byteLength).toBe(n);
    });
  });

  it('names a missing file as reading it did', () => {
    const root = mkdtempSync(join(tmpdir(), 'migseal-folder-'));
    writeFileSync(join(root, 'a.sql'), 'x');
    expect(() => readFolder(root).read('b.sql')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
