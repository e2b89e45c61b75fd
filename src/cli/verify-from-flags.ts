/**
 * How every command that acts on a bundle starts: the host's trust policy from --trust, then
 * complete verification for --env. One place, so no command can skip a step or read a flag
 * under another name.
 */
import { loadTrustPolicy, type TrustPolicy } from '../trust/policy.js';
import { verifyBundle, type VerifiedBundle } from '../verify/index.js';
import type { FindingScope } from '../verify/check-findings.js';
import { streamInput } from './io.js';
import { requireFlag } from './parse.js';
import { COMMANDS } from './table.js';

export function policyFromFlags(flags: Record<string, unknown>, command: string): TrustPolicy {
  return loadTrustPolicy(requireFlag(flags, 'trust', COMMANDS[command]!.usage));
}

/** `findings` says which findings matter: those for the database's dialect and the scripts about to run; `files` whether the caller runs the files (see VerifyOptions). */
export function verifyFromFlags(bundlePath: string, policy: TrustPolicy, flags: Record<string, unknown>, findings?: FindingScope, files: 'keep' | 'hash' = 'keep'): Promise<VerifiedBundle> {
  const scope = findings ?? (policy.dialect === 'postgres' || policy.dialect === 'sqlite' ? { dialect: policy.dialect } : undefined);
  return verifyBundle(streamInput(bundlePath, 'bundle'), { policy, files, ...(typeof flags.env === 'string' && { environment: flags.env }), ...(scope && { findings: scope }) });
}
