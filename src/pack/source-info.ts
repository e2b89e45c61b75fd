/**
 * Where a release came from: repository, commit and whether the tree was dirty. Flags win,
 * then the CI's standard variables (GitHub Actions, GitLab CI), then git itself.
 * Credentials embedded in a remote URL are removed before anything is recorded.
 */
import { execFileSync } from 'node:child_process';
import type { ManifestSource } from '../format/manifest.js';

export interface SourceFlags {
  repository?: string;
  commit?: string;
  builder?: string;
}

type Env = Record<string, string | undefined>;

export function readSource(dir: string, flags: SourceFlags, env: Env = process.env): { source: ManifestSource; builderId: string; commitTime?: number } {
  const git = readGit(dir);
  const ci = readCi(env);
  const repository = flags.repository ?? ci.repository ?? git.repository;
  const commit = flags.commit ?? ci.commit ?? git.commit;
  const source: ManifestSource = {
    ...(repository && { repository: stripCredentials(repository) }),
    ...(commit && { commit: commit.toLowerCase() }),
    ...(git.dirty !== undefined && { dirty: git.dirty }),
  };
  return { source, builderId: flags.builder ?? ci.builder ?? 'local', ...(git.commitTime !== undefined && { commitTime: git.commitTime }) };
}

function readCi(env: Env): { repository?: string; commit?: string; builder?: string } {
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_REPOSITORY) {
    const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
    const workflow = env.GITHUB_WORKFLOW_REF;
    return {
      repository: `${server}/${env.GITHUB_REPOSITORY}`,
      ...(env.GITHUB_SHA && { commit: env.GITHUB_SHA }),
      builder: workflow ? `${server}/${workflow}` : `${server}/${env.GITHUB_REPOSITORY}/actions`,
    };
  }
  if (env.GITLAB_CI === 'true' && env.CI_PROJECT_URL) {
    return {
      repository: env.CI_PROJECT_URL,
      ...(env.CI_COMMIT_SHA && { commit: env.CI_COMMIT_SHA }),
      builder: `${env.CI_SERVER_URL ?? env.CI_PROJECT_URL}/${env.CI_PROJECT_PATH ?? ''}/-/pipelines`.replace(/([^:])\/\/+/g, '$1/'),
    };
  }
  return {};
}

function readGit(dir: string): { repository?: string; commit?: string; dirty?: boolean; commitTime?: number } {
  const run = (...args: string[]): string | undefined => {
    try {
      return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
    } catch {
      return undefined;
    }
  };
  const commit = run('rev-parse', '--verify', '-q', 'HEAD');
  if (!commit) return {};
  const status = run('status', '--porcelain', '--', '.');
  const time = Number(run('log', '-1', '--format=%ct', 'HEAD'));
  const repository = run('config', '--get', 'remote.origin.url');
  return {
    commit,
    ...(status !== undefined && { dirty: status !== '' }),
    ...(Number.isSafeInteger(time) && { commitTime: time }),
    ...(repository && { repository }),
  };
}

/** `https://user:token@host/x` → `https://host/x`; scp-style `git@host:x` is kept as is. */
export function stripCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
}
