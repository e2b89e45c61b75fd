import { lintTrustPolicy } from '../../trust/lint-policy.js';
import type { CommandRun } from '../table.js';

export const run: CommandRun = async ({ positionals }) => {
  const path = positionals[0]!;
  const problems = lintTrustPolicy(path);
  if (problems.length === 0) return { text: `${path}: no problems found`, json: { ok: true, path, problems: [] } };
  return {
    text: [`${path}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`, ...problems.map((p) => `  ${p.kind.padEnd(22)} ${p.message}`)].join('\n'),
    json: { ok: false, error: { code: 'POLICY_INVALID', message: `${path}: ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.map((p) => p.message).join('; ')}`, exitCode: 2 }, path, problems },
    exitCode: 2,
  };
};
