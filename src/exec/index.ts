/**
 * `migseal exec`: the verified hand-off to a peer tool that only it can run (Doctrine's PHP
 * classes, for example). The bundle is verified exactly as apply verifies it; only then are the
 * verified bytes written to a private, read-only folder, the command started on it without a
 * shell, its exit code passed through, and the folder removed however the command ends.
 * A refused bundle never starts the command. The audit log records the run like an apply.
 */
import { appendAuditRecord } from '../audit/log.js';
import { isMigsealError } from '../errors.js';
import type { BundleSource } from '../format/bundle-archive.js';
import type { TrustPolicy } from '../trust/policy.js';
import { verifyBundle, type VerifiedBundle } from '../verify/index.js';
import { commandFor } from './command-line.js';
import { writePrivateFolder } from './private-folder.js';
import { runCommand, type CommandEnd } from './run-command.js';
import { exitCodeForSignal, SignalRelay } from './signal-relay.js';

export interface ExecOptions {
  policy: TrustPolicy;
  environment?: string;
  /** The command's words; `{dir}` is replaced by the private folder. */
  command: readonly string[];
  auditLog: string;
  /** Called with each audit line just appended to auditLog, and its outcome: where the CLI's --audit-sink sends it. */
  alsoSend?: (line: string, outcome: unknown) => void;
  env: Record<string, string | undefined>;
  now?: Date;
  /** Parent of the private folder (default: the system temporary folder). */
  tmpdir?: string;
}

export interface ExecResult extends CommandEnd {
  verified: VerifiedBundle;
  /** The private folder the command saw; already removed. */
  dir?: string;
}

export async function execBundle(bundle: Buffer | BundleSource, options: ExecOptions): Promise<ExecResult> {
  commandFor(options.command, '');
  const relay = new SignalRelay().install();
  const audit = (record: Record<string, unknown>): void => {
    const appended = appendAuditRecord(options.auditLog, { event: 'exec', command: [...options.command], ...record }, { env: options.env });
    options.alsoSend?.(appended.line, record.outcome);
  };
  try {
    let verified: VerifiedBundle;
    try {
      verified = await verifyBundle(bundle, { policy: options.policy, ...(options.environment && { environment: options.environment }), ...(options.now && { now: options.now }) });
    } catch (error) {
      if (isMigsealError(error) && error.exitCode === 2) {
        try {
          audit({ outcome: 'refused', code: error.code, message: error.message, environment: options.environment ?? null });
        } catch {
          /* the refusal itself is what the caller must see */
        }
      }
      throw error;
    }
    const release = { project: verified.manifest.project, release: verified.manifest.release, digest: verified.digest, environment: verified.environment };
    if (relay.received) return { verified, exitCode: exitCodeForSignal(relay.received), signal: relay.received };

    const folder = writePrivateFolder(verified.files, options.tmpdir);
    try {
      const argv = commandFor(options.command, folder.path);
      audit({ outcome: 'started', ...release, signers: verified.signers.map((s) => s.signer) });
      if (relay.received) return { verified, exitCode: exitCodeForSignal(relay.received), signal: relay.received };
      const env = { ...options.env, MIGSEAL_EXEC_DIR: folder.path, MIGSEAL_RELEASE: verified.manifest.release, MIGSEAL_RELEASE_ID: `sha256:${verified.digest}` };
      let end: CommandEnd;
      try {
        end = await runCommand(argv, { env, relay });
      } catch (error) {
        audit({ outcome: 'failed', ...release, code: isMigsealError(error) ? error.code : 'IO', message: (error as Error).message });
        throw error;
      }
      audit({ outcome: end.exitCode === 0 ? 'succeeded' : 'failed', ...release, exitCode: end.exitCode, ...(end.signal && { signal: end.signal }) });
      return { verified, ...end, dir: folder.path };
    } finally {
      folder.remove();
    }
  } finally {
    relay.uninstall();
  }
}
