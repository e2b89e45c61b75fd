import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MigsealError } from '../../errors.js';
import { loadPublicKey } from '../../format/public-key.js';
import { insecurePermissions, readTrustedFile } from '../../trust/file-permissions.js';
import { initialPolicy } from '../../trust/initial-policy.js';
import { lintTrustPolicy } from '../../trust/lint-policy.js';
import { requireFlag } from '../parse.js';
import { COMMANDS, type CommandRun } from '../table.js';

/** Each key must be a public key in a file a host may trust, before anything is written. */
function checkKey(path: string, flag: string): void {
  const problem = insecurePermissions(resolve(path));
  if (problem) throw new MigsealError('POLICY_INSECURE', `${flag} ${path} is not safe to trust: ${problem}.`);
  let bytes: Buffer;
  try {
    bytes = readTrustedFile(resolve(path));
  } catch (error) {
    if (error instanceof MigsealError) throw error;
    throw new MigsealError('IO', `Cannot read ${flag} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, { cause: error });
  }
  loadPublicKey(bytes, path);
}

export const run: CommandRun = async ({ flags }) => {
  const usage = COMMANDS['trust init']!.usage;
  const out = requireFlag(flags, 'out', usage);
  const project = requireFlag(flags, 'project', usage);
  const approvers = (flags.approver as string[] | undefined) ?? [];
  const policy = initialPolicy({
    project,
    out,
    ...(typeof flags.key === 'string' && { releaseKey: flags.key }),
    approverKeys: approvers,
    ...(typeof flags.identity === 'string' && { identity: flags.identity }),
    ...(typeof flags.issuer === 'string' && { issuer: flags.issuer }),
    environment: typeof flags.env === 'string' ? flags.env : 'default',
  });
  if (typeof flags.key === 'string') checkKey(flags.key, '--key');
  for (const approver of approvers) checkKey(approver, '--approver');
  const folder = dirname(resolve(out));
  const unsafe = insecurePermissions(folder);
  if (unsafe) throw new MigsealError('POLICY_INSECURE', `The folder of ${out} is not safe for a trust policy: ${unsafe}.`);
  try {
    // 'wx': never over an existing policy, not even one created a moment ago. 0644: readable by the runner, writable by its owner only.
    writeFileSync(out, `${JSON.stringify(policy, null, 2)}\n`, { mode: 0o644, flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MigsealError('IO', code === 'EEXIST' ? `${out} already exists; trust init never overwrites a policy (edit it, or remove it first).` : `Cannot write ${out}: ${code ?? (error as Error).message}.`, { cause: error });
  }
  const problems = lintTrustPolicy(out);
  const env = Object.keys(policy.environments as object)[0]!;
  return {
    text: [
      `wrote ${out} for project "${project}", environment "${env}": ${Object.entries((policy.environments as Record<string, Record<string, unknown>>)[env]!).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      problems.length === 0 ? `trust check: no problems found` : `trust check: ${problems.length} problem(s)`,
      ...problems.map((p) => `  ${p.kind.padEnd(22)} ${p.message}`),
      `Edit it to add keys, expiry windows (notBefore/notAfter) or more environments; see keys/README.md.`,
    ].join('\n'),
    json: { ok: problems.length === 0, path: out, policy, problems },
    ...(problems.length > 0 && { exitCode: 2 }),
  };
};
