/**
 * The source a release records comes from git when no CI or flag says otherwise. A remote is
 * recorded as a URI without user information: a token in an https remote never reaches the
 * manifest or the provenance, and scp-style remotes become ssh: URIs that SLSA's `git+URI`
 * descriptor can carry.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSource, repositoryUri } from '../../src/pack/source-info.js';
import { removeDir, tempDir } from '../helpers/fixtures.js';

const dir = tempDir('migseal-source-');
afterAll(() => removeDir(dir));

describe('repositoryUri', () => {
  const cases: Array<[string, string]> = [
    ['https://github.com/acme/shop.git', 'https://github.com/acme/shop.git'],
    ['https://ci-bot:ghp_s3cret@github.com/acme/shop.git', 'https://github.com/acme/shop.git'],
    ['https://user:p@ss@example.com/acme/shop.git', 'https://example.com/acme/shop.git'],
    ['ssh://git@example.com:2222/acme/shop.git', 'ssh://example.com:2222/acme/shop.git'],
    ['git@github.com:acme/shop.git', 'ssh://github.com/acme/shop.git'],
    ['github.com:acme/shop.git', 'ssh://github.com/acme/shop.git'],
    ['git@example.com:/srv/git/shop.git', 'ssh://example.com/srv/git/shop.git'],
    ['/srv/git/shop.git', 'file:///srv/git/shop.git'],
    ['../shop.git', '../shop.git'],
  ];
  for (const [remote, uri] of cases) {
    it(`${remote} -> ${uri}`, () => {
      expect(repositoryUri(remote)).toBe(uri);
    });
  }
});

describe('readSource from git', () => {
  function repo(name: string, remote: string): string {
    const path = join(dir, name);
    mkdirSync(join(path, 'db'), { recursive: true });
    writeFileSync(join(path, 'db', '1_init.up.sql'), 'CREATE TABLE t (id INTEGER);\n');
    const git = (...args: string[]) => execFileSync('git', ['-C', path, ...args], { stdio: 'ignore', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
    git('init', '-q', '-b', 'main');
    git('-c', 'user.email=dev@example.com', '-c', 'user.name=dev', 'add', '.');
    git('-c', 'user.email=dev@example.com', '-c', 'user.name=dev', 'commit', '-q', '-m', 'init');
    git('remote', 'add', 'origin', remote);
    return path;
  }

  it('records an https remote without its token', () => {
    const path = repo('token', 'https://ci-bot:ghp_s3cret@github.com/acme/shop.git');
    const { source, invocation } = readSource(join(path, 'db'), {}, {});
    expect(source.repository).toBe('https://github.com/acme/shop.git');
    expect(JSON.stringify({ source, invocation })).not.toContain('s3cret');
    expect(source).toMatchObject({ dirty: false, commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(invocation).toMatchObject({ ref: 'refs/heads/main', path: 'db' });
  });

  it('records an scp-style remote as an ssh URI that parses', () => {
    const path = repo('scp', 'git@github.com:acme/shop.git');
    const { source } = readSource(path, {}, {});
    expect(source.repository).toBe('ssh://github.com/acme/shop.git');
    expect(new URL(source.repository!).pathname).toBe('/acme/shop.git');
  });
});
