/**
 * Where a release came from and how it was built: repository, commit, ref, whether the tree
 * was dirty, the builder and the run. Flags win, then the CI's standard variables (GitHub
 * Actions, GitLab CI), then git itself. A git remote is recorded as a URI: credentials embedded
 * in it are removed, and scp-style and local-path remotes are spelled as ssh: and file: URIs. Nothing here reads a clock: the same inputs give the same facts.
 */
import { execFileSync } from 'node:child_process';
import type { ManifestSource } from '../format/manifest.js';
import { LIMITS } from '../limits.js';
import type { BuildInvocation, CiSystem } from '../format/provenance-statement.js';

export interface SourceFlags {
  repository?: string;
  commit?: string;
  builder?: string;
  /** The git ref built, e.g. refs/heads/main. */
  ref?: string;
  /** An id or URI of this build run. */
  invocation?: string;
}

type Env = Record<string, string | undefined>;

interface CiFacts {
  ci?: CiSystem;
  repository?: string;
  commit?: string;
  builder?: string;
  ref?: string;
  invocationId?: string;
  event?: string;
}

export function readSource(dir: string, flags: SourceFlags, env: Env = process.env): { source: ManifestSource; builderId: string; invocation: BuildInvocation; commitTime?: number } {
  const git = readGit(dir);
  const ci = readCi(env);
  const repository = flags.repository ?? ci.repository ?? git.repository;
  const commit = flags.commit ?? ci.commit ?? git.commit;
  const source: ManifestSource = {
    ...(repository && { repository: repositoryUri(repository) }),
    ...(commit && { commit: commit.toLowerCase() }),
    ...(git.dirty !== undefined && { dirty: git.dirty }),
  };
  const ref = flags.ref ?? ci.ref ?? git.ref;
  const invocationId = flags.invocation ?? ci.invocationId;
  const invocation: BuildInvocation = {
    ...(ci.ci && { ci: ci.ci }),
    ...(invocationId && { invocationId }),
    ...(ref && { ref }),
    ...(git.path && { path: git.path }),
    ...(ci.event && { event: ci.event }),
  };
  return { source, builderId: flags.builder ?? ci.builder ?? 'local', invocation, ...(git.commitTime !== undefined && { commitTime: git.commitTime }) };
}

function readCi(env: Env): CiFacts {
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_REPOSITORY) {
    const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
    const workflow = env.GITHUB_WORKFLOW_REF;
    const repository = `${server}/${env.GITHUB_REPOSITORY}`;
    return {
      ci: 'github-actions',
      repository,
      ...(env.GITHUB_SHA && { commit: env.GITHUB_SHA }),
      builder: workflow ? `${server}/${workflow}` : `${repository}/actions`,
      ...(env.GITHUB_REF && { ref: env.GITHUB_REF }),
      // The form SLSA's GitHub generators use: one id per attempt of a run.
      ...(env.GITHUB_RUN_ID && { invocationId: `${repository}/actions/runs/${env.GITHUB_RUN_ID}/attempts/${env.GITHUB_RUN_ATTEMPT || '1'}` }),
      ...(env.GITHUB_EVENT_NAME && { event: env.GITHUB_EVENT_NAME }),
    };
  }
  if (env.GITLAB_CI === 'true' && env.CI_PROJECT_URL) {
    const job = env.CI_JOB_URL || (env.CI_JOB_ID && `${env.CI_PROJECT_URL}/-/jobs/${env.CI_JOB_ID}`) || (env.CI_PIPELINE_ID && `${env.CI_PROJECT_URL}/-/pipelines/${env.CI_PIPELINE_ID}`);
    const ref = env.CI_COMMIT_TAG ? `refs/tags/${env.CI_COMMIT_TAG}` : env.CI_COMMIT_REF_NAME ? `refs/heads/${env.CI_COMMIT_REF_NAME}` : undefined;
    return {
      ci: 'gitlab-ci',
      repository: env.CI_PROJECT_URL,
      ...(env.CI_COMMIT_SHA && { commit: env.CI_COMMIT_SHA }),
      builder: `${env.CI_SERVER_URL ?? env.CI_PROJECT_URL}/${env.CI_PROJECT_PATH ?? ''}/-/pipelines`.replace(/([^:])\/\/+/g, '$1/'),
      ...(ref && { ref }),
      ...(job && { invocationId: job }),
      ...(env.CI_PIPELINE_SOURCE && { event: env.CI_PIPELINE_SOURCE }),
    };
  }
  return {};
}

function readGit(dir: string): { repository?: string; commit?: string; dirty?: boolean; commitTime?: number; ref?: string; path?: string } {
  const run = (...args: string[]): string | undefined => {
    try {
      return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: LIMITS.gitTimeoutMs }).trim();
    } catch {
      return undefined;
    }
  };
  const commit = run('rev-parse', '--verify', '-q', 'HEAD');
  if (!commit) return {};
  const status = run('status', '--porcelain', '--', '.');
  const time = Number(run('log', '-1', '--format=%ct', 'HEAD'));
  const repository = run('config', '--get', 'remote.origin.url');
  const ref = run('symbolic-ref', '-q', 'HEAD');
  const path = run('rev-parse', '--show-prefix')?.replace(/\/$/, '');
  return {
    commit,
    ...(ref && { ref }),
    ...(path && { path }),
    ...(status !== undefined && { dirty: status !== '' }),
    ...(Number.isSafeInteger(time) && { commitTime: time }),
    ...(repository && { repository }),
  };
}

/**
 * A remote as a URI with no user information: `https://user:token@host/x` → `https://host/x`,
 * scp-style `git@host:org/x.git` → `ssh://host/org/x.git` (git's own equivalence), and an
 * absolute local path `/srv/x.git` → `file:///srv/x.git`. Anything else is kept as given.
 */
export function repositoryUri(remote: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) return remote.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/]*@/i, '$1');
  const scp = /^(?:[^@/:]+@)?([^@/:\\]{2,}):(?!\/\/)(.+)$/.exec(remote);
  if (scp) return `ssh://${scp[1]}/${scp[2]!.replace(/^\/+/, '')}`;
  if (remote.startsWith('/')) return `file://${remote}`;
  return remote;
}
