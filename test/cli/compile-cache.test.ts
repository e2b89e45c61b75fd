/**
 * Node's compile cache holds code that the next run executes. The CLI keeps it in the running
 * user's own cache folder, private, and runs without it when that folder can be written by
 * anyone else (Node itself would use any folder it is given).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/fixtures.js';

const cacheFiles = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name) : []);

describe('the compile cache', () => {
  let home: string;
  beforeEach(() => void (home = tempDir('migseal-home-')));
  afterEach(() => removeDir(home));

  it('lives in ~/.cache/migseal/compile-cache, readable and writable by the user alone', async () => {
    const result = await runCli(['inspect', '--help'], { env: { HOME: home } });
    expect(result.code).toBe(0);
    const dir = join(home, '.cache/migseal/compile-cache');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(cacheFiles(dir).length).toBeGreaterThan(0);
  });

  it('follows XDG_CACHE_HOME', async () => {
    const xdg = join(home, 'xdg');
    expect((await runCli(['inspect', '--help'], { env: { HOME: home, XDG_CACHE_HOME: xdg } })).code).toBe(0);
    expect(cacheFiles(join(xdg, 'migseal/compile-cache')).length).toBeGreaterThan(0);
    expect(existsSync(join(home, '.cache'))).toBe(false);
  });

  it('is not used when others may write to its folder', async () => {
    const dir = join(home, '.cache/migseal/compile-cache');
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    const result = await runCli(['inspect', '--help'], { env: { HOME: home } });
    expect(result.code).toBe(0);
    expect(cacheFiles(dir)).toEqual([]);
  });
});
