/**
 * Node's compile cache holds code that the next run executes. The CLI keeps it in the running
 * user's own cache folder, private, and runs without it when that folder can be written by
 * anyone else (Node itself would use any folder it is given). It stays bounded: Node adds a
 * folder per Node version and never removes one, so only this Node's folder and the one used
 * last before it are kept, and this Node's folder keeps at most 256 entries.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
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

  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);

  it("keeps this Node's folder and the one used last before it: older Node versions' folders are removed", async () => {
    const base = join(home, '.cache/migseal/compile-cache');
    const others = ['v20.0.0-x64-aaaaaaaa-0', 'v21.0.0-x64-bbbbbbbb-0', 'v23.0.0-x64-cccccccc-0'];
    for (const [i, name] of others.entries()) {
      mkdirSync(join(base, name), { recursive: true, mode: 0o700 });
      writeFileSync(join(base, name, '6c47b2b4'), 'compiled');
      utimesSync(join(base, name), daysAgo(3 - i), daysAgo(3 - i));
    }
    expect((await runCli(['inspect', '--help'], { env: { HOME: home } })).code).toBe(0);
    const kept = readdirSync(base).sort();
    expect(kept).toHaveLength(2);
    expect(kept).toContain('v23.0.0-x64-cccccccc-0');
    const current = kept.find((name) => !others.includes(name))!;
    expect(current.startsWith(`v${process.versions.node}-`)).toBe(true);
    expect(cacheFiles(join(base, current)).length).toBeGreaterThan(0);
    // Two Nodes that take turns keep both folders.
    expect((await runCli(['inspect', '--help'], { env: { HOME: home } })).code).toBe(0);
    expect(readdirSync(base).sort()).toEqual(kept);
  });

  it("keeps at most 256 entries in this Node's folder, the oldest removed first", async () => {
    const base = join(home, '.cache/migseal/compile-cache');
    expect((await runCli(['inspect', '--help'], { env: { HOME: home } })).code).toBe(0);
    const [current] = readdirSync(base);
    const dir = join(base, current!);
    const own = readdirSync(dir);
    // Entries other installs of migseal left, the oldest a year old.
    for (let i = 0; i < 300; i++) {
      const path = join(dir, `old${String(i).padStart(3, '0')}`);
      writeFileSync(path, 'compiled');
      utimesSync(path, daysAgo(365 - i), daysAgo(365 - i));
    }
    expect((await runCli(['inspect', '--help'], { env: { HOME: home } })).code).toBe(0);
    const left = readdirSync(dir);
    expect(left).toHaveLength(256);
    for (const name of own) expect(left).toContain(name);
    expect(left).toContain('old299');
    expect(left).not.toContain('old000');
  });
});
