/**
 * Where runner commands record what they did: --audit-log FILE, else MIGSEAL_AUDIT_LOG,
 * else migseal-audit.jsonl in the current folder. One record per plan, apply, refusal,
 * rollback and resolve; failures are recorded too, then re-thrown unchanged.
 */
import { closeSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import { appendAuditRecord } from '../audit/log.js';
import { asMigsealError, MigsealError } from '../errors.js';
import { redactString as redact } from '../audit/redact.js';

export class AuditTrail {
  readonly path: string;
  #env: Record<string, string | undefined>;
  #base: Record<string, unknown>;

  constructor(flags: Record<string, unknown>, env: Record<string, string | undefined>, cwd: string, base: Record<string, unknown>) {
    const chosen = typeof flags['audit-log'] === 'string' ? flags['audit-log'] : env.MIGSEAL_AUDIT_LOG || 'migseal-audit.jsonl';
    this.path = resolve(cwd, chosen);
    this.#env = env;
    this.#base = base;
  }

  /** Fails early when the log cannot be written, before the database is touched. */
  ensureWritable(): void {
    try {
      closeSync(openSync(this.path, 'a', 0o600));
    } catch (error) {
      throw new MigsealError('IO', `Cannot write the audit log ${this.path}: ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}.`, { cause: error });
    }
  }

  record(fields: Record<string, unknown>): void {
    appendAuditRecord(this.path, { ...this.#base, ...fields }, { env: this.#env });
  }

  /** Runs a command body, recording a refusal (exit 2) or failure (exit 1, 3 or 4) before re-throwing it. */
  async around<T>(body: () => Promise<T>, extra: () => Record<string, unknown> = () => ({})): Promise<T> {
    try {
      return await body();
    } catch (error) {
      const coded = asMigsealError(error, 'IO', String((error as Error)?.message ?? error));
      const outcome = coded.exitCode === 2 ? 'refused' : coded.exitCode === 3 ? 'failed' : coded.exitCode === 4 ? 'unavailable' : 'error';
      try {
        this.record({ ...(coded.exitCode === 2 && { event: 'refusal' }), outcome, code: coded.code, exitCode: coded.exitCode, message: redact(coded.message), ...extra() });
      } catch {
        /* the original failure matters more than the audit write */
      }
      throw error;
    }
  }
}
