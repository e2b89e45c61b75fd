/**
 * The action and the CI files a newcomer copies, read by a YAML parser and checked for what
 * GitHub and GitLab require of them: the OIDC permission and id_tokens keyless signing needs,
 * actions pinned to full commit SHAs, the approval as a protected manual job.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseShard } from '../../src/fleet/index.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const read = (path: string): Doc => parse(readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8'), { strict: true, uniqueKeys: true }) as Doc;

const FULL_SHA = /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/;

/** Every `uses:` in a workflow or a composite action. */
function usesOf(doc: Doc): string[] {
  const steps = [...(doc.runs?.steps ?? []), ...Object.values<Doc>(doc.jobs ?? {}).flatMap((job) => job.steps ?? [])];
  return steps.map((step: Doc) => step.uses).filter((uses): uses is string => typeof uses === 'string');
}

describe('action.yml', () => {
  const action = read('action.yml');

  it('is a composite action whose steps pin every action to a full commit SHA', () => {
    expect(action.runs.using).toBe('composite');
    const uses = usesOf(action);
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u, u).toMatch(FULL_SHA);
  });

  it('runs the script in the repository with the inputs, and hands the key over as a secret in the environment only', () => {
    const step = action.runs.steps.find((s: Doc) => s.id === 'release');
    expect(step.run).toBe('node "$GITHUB_ACTION_PATH/action/release.mjs"');
    expect(existsSync(fileURLToPath(new URL('../../action/release.mjs', import.meta.url)))).toBe(true);
    expect(step.env.MIGSEAL_SIGNING_KEY).toBe('${{ inputs.signing-key }}');
    for (const name of ['migrations', 'project', 'release']) expect(action.inputs[name].required).toBe(true);
    // No input value is pasted into a shell script, where it could run as code.
    for (const s of action.runs.steps as Doc[]) if (typeof s.run === 'string') expect(s.run).not.toContain('${{');
    expect(Object.keys(action.outputs)).toEqual(['bundle', 'release-id', 'verify-command']);
  });

  it('by default builds migseal from the pinned commit: its locked dependencies, packed and installed, nothing from the registry by name', () => {
    expect(action.inputs['migseal-version'].default).toBe('');
    const install = action.runs.steps.find((s: Doc) => s.name === 'Install migseal');
    const fromSource = String(install.run).split('exit 0')[1];
    expect(fromSource).toContain('cd "$GITHUB_ACTION_PATH"');
    expect(fromSource).toMatch(/npm ci .*--ignore-scripts/);
    expect(fromSource).toContain('npm pack --ignore-scripts');
    expect(fromSource).toContain('npm install -g --no-audit --no-fund "$out"/migseal-*.tgz');
    expect(fromSource).not.toContain('migseal@');
  });

  it('uploads the bundle the script wrote', () => {
    const upload = action.runs.steps.find((s: Doc) => String(s.uses).startsWith('actions/upload-artifact@'));
    expect(upload.with.path).toBe('${{ steps.release.outputs.bundle }}');
    expect(upload.with['if-no-files-found']).toBe('error');
  });
});

describe('GitHub workflows', () => {
  const release = read('ci/github/release.yml');
  const approve = read('ci/github/approve.yml');

  it('every action is pinned to a full commit SHA', () => {
    for (const doc of [release, approve]) for (const u of usesOf(doc)) expect(u, u).toMatch(FULL_SHA);
  });

  it('the release job may request an OIDC token (id-token: write) and the workflow otherwise reads only', () => {
    expect(release.permissions).toEqual({ contents: 'read' });
    expect(release.jobs.release.permissions['id-token']).toBe('write');
    expect(release.jobs.release.steps.some((s: Doc) => String(s.uses).startsWith('migseal/migseal@'))).toBe(true);
    // Checkout does not leave the job's token in the working copy.
    const checkout = release.jobs.release.steps.find((s: Doc) => String(s.uses).startsWith('actions/checkout@'));
    expect(checkout.with['persist-credentials']).toBe(false);
  });

  it('the approval runs by hand in a protected environment, signs with --role approve, and gets no OIDC token', () => {
    expect(Object.keys(approve.on)).toEqual(['workflow_dispatch']);
    const job = approve.jobs.approve;
    expect(job.environment).toBe('migration-approval');
    expect(job.permissions['id-token']).toBeUndefined();
    const run = job.steps.map((s: Doc) => s.run ?? '').join('\n');
    expect(run).toContain('--role approve');
    expect(run).not.toContain('${{');
  });
});

describe('GitLab template', () => {
  const gitlab = read('ci/gitlab/migseal.gitlab-ci.yml');

  it('the release job gets an OIDC token for the sigstore audience and signs keylessly', () => {
    expect(gitlab['migseal-release'].id_tokens).toEqual({ SIGSTORE_ID_TOKEN: { aud: 'sigstore' } });
    expect(gitlab['migseal-release'].script.join('\n')).toContain('--keyless');
  });

  it('the approval is a manual, blocking job of a protected environment, with a key and no OIDC token', () => {
    const job = gitlab['migseal-approve'];
    expect(job.rules.every((r: Doc) => r.when === 'manual')).toBe(true);
    expect(job.allow_failure).toBe(false);
    expect(job.environment.name).toBe('migration-approval');
    expect(job.id_tokens).toBeUndefined();
    const script = job.script.join('\n');
    expect(script).toContain('--role approve');
    expect(script).not.toContain('--keyless');
    expect(job.needs).toEqual(['migseal-release']);
  });
});

describe('fleet rollout across machines', () => {
  /** What the shell makes of a --shard argument for each index: the shards the n machines take. */
  const shardsFor = (script: string, variable: string, indexes: number[], extraEnv: Record<string, string> = {}): string[] =>
    indexes.map((i) => {
      const r = spawnSync('sh', ['-c', `${script}\nprintf '%s' "$shard"`], { env: { ...extraEnv, [variable]: String(i) }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    });
  const shardWord = (command: string): string => {
    const m = /--shard ("[^"]+"|\S+)/.exec(command);
    expect(m, command).not.toBeNull();
    return m![1]!;
  };

  it('GitHub: a matrix job per shard, numbered from 1 off strategy.job-index, each verifying with the trust policy', () => {
    const fleet = read('ci/github/fleet.yml');
    for (const u of usesOf(fleet)) expect(u, u).toMatch(FULL_SHA);
    expect(fleet.permissions).toEqual({ contents: 'read' });
    const job = fleet.jobs.rollout;
    expect(job.strategy['fail-fast']).toBe(false);
    const n = job.strategy.matrix.shard.length;
    expect(job.permissions['id-token']).toBeUndefined();
    const step = job.steps.find((s: Doc) => typeof s.run === 'string' && s.run.includes('migseal apply'));
    expect(step.env.SHARD_INDEX).toBe('${{ strategy.job-index }}');
    expect(step.env.SHARD_TOTAL).toBe('${{ strategy.job-total }}');
    const assign = (step.run as string).split('\n').find((l) => l.startsWith('shard='))!;
    expect(shardWord(step.run)).toBe('"$shard"');
    // job-index runs 0..n-1 and job-total is n: the jobs take shards 1/n..n/n, each once.
    expect(shardsFor(assign, 'SHARD_INDEX', [...Array(n).keys()], { SHARD_TOTAL: String(n) }).map((s) => parseShard(s))).toEqual([...Array(n).keys()].map((i) => ({ index: i + 1, count: n })));
    expect(step.run).toMatch(/--trust deploy\/trust\.json --env production/);
    expect(step.run).toContain('--targets deploy/targets.json');
    expect(step.run).not.toContain('${{');
    expect(step.env.PGPASSWORD).toMatch(/^\$\{\{ secrets\./);
  });

  it('Kubernetes: an indexed Job whose n pods take shards 1..n off JOB_COMPLETION_INDEX, each verifying first', () => {
    const job = read('ci/kubernetes/fleet-job.yaml');
    expect(job.kind).toBe('Job');
    expect(job.spec.completionMode).toBe('Indexed');
    const n = job.spec.completions;
    expect(job.spec.parallelism).toBe(n);
    const container = job.spec.template.spec.containers[0];
    const command = container.args.join(' ');
    expect(shardsFor(`shard=${shardWord(command)}`, 'JOB_COMPLETION_INDEX', [...Array(n).keys()]).map((s) => parseShard(s))).toEqual([...Array(n).keys()].map((i) => ({ index: i + 1, count: n })));
    expect(command).toMatch(/migseal apply \S+ --trust \/etc\/migseal\/trust\.json --env production/);
    expect(command).toContain('--targets /etc/migseal/targets.json');
    expect(job.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    // The password comes from a mounted secret file, never from the targets file or the command line.
    expect(container.env).toContainEqual({ name: 'MIGSEAL_DATABASE_PASSWORD_FILE', value: '/run/secrets/migseal/deploy-password' });
    expect(command).not.toMatch(/password/i);
  });
});
