/**
 * Where runner commands record what they did: --audit-log FILE, else MIGSEAL_AUDIT_LOG, else
 * the running user's state folder ($XDG_STATE_HOME/migseal/audit.jsonl, else
 * ~/.local/state/migseal/audit.jsonl), never the working directory (a service started from `/`
 * cannot write there). A default folder is created private (0700) and the log 0600. One record
 * per plan, apply, refusal, rollback and resolve; failures are recorded too, then re-thrown unchanged.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { appendAuditRecord, whenSynced, type AppendedRecord } from '../audit/log.js';
import { LIMITS } from '../limits.js';
import { asMigsealError, MigsealError } from '../errors.js';
import { redactString as redact } from '../audit/redact.js';
import { openSinks, sinkNames, type AuditSink } from './audit-sinks.js';

export interface AuditLogLocation {
  path: string;
  /** What chose the path, named in a failure to write it. */
  setBy: '--audit-log' | 'MIGSEAL_AUDIT_LOG' | 'XDG_STATE_HOME' | 'the home folder';
}

export function auditLogLocation(flags: Record<string, unknown>, env: Record<string, string | undefined>, cwd: string): AuditLogLocation {
  if (typeof flags['audit-log'] === 'string') return { path: resolve(cwd, flags['audit-log']), setBy: '--audit-log' };
  if (env.MIGSEAL_AUDIT_LOG) return { path: resolve(cwd, env.MIGSEAL_AUDIT_LOG), setBy: 'MIGSEAL_AUDIT_LOG' };
  // The XDG base directory rules: a relative XDG_STATE_HOME is ignored.
  const xdg = env.XDG_STATE_HOME;
  if (xdg && isAbsolute(xdg)) return { path: join(xdg, 'migseal', 'audit.jsonl'), setBy: 'XDG_STATE_HOME' };
  return { path: join(env.HOME || homedir(), '.local', 'state', 'migseal', 'audit.jsonl'), setBy: 'the home folder' };
}

/** Fails early when the log cannot be written, before the database is touched. */
export function ensureAuditLogWritable(location: AuditLogLocation): void {
  try {
    // A folder migseal chooses is created for the running user only; a folder named by the operator is theirs to make.
    if (location.setBy === 'XDG_STATE_HOME' || location.setBy === 'the home folder') mkdirSync(dirname(location.path), { recursive: true, mode: 0o700 });
    closeSync(openSync(location.path, 'a', 0o600));
  } catch (error) {
    const how =
      location.setBy === '--audit-log' ? 'named by --audit-log' : location.setBy === 'MIGSEAL_AUDIT_LOG' ? 'named by MIGSEAL_AUDIT_LOG' : `the default under ${location.setBy}`;
    throw new MigsealError(
      'IO',
      `Cannot write the audit log ${location.path} (${how}): ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}; choose another file with --audit-log FILE or MIGSEAL_AUDIT_LOG.`,
      { cause: error },
    );
  }
}

export class AuditTrail {
  readonly path: string;
  #location: AuditLogLocation;
  #env: Record<string, string | undefined>;
  #base: Record<string, unknown>;
  #sinks: AuditSink[];

  constructor(flags: Record<string, unknown>, env: Record<string, string | undefined>, cwd: string, base: Record<string, unknown>) {
    this.#location = auditLogLocation(flags, env, cwd);
    // A sink that cannot be used refuses the command here, before anything runs.
    this.#sinks = openSinks(sinkNames(flags, env), env);
    this.path = this.#location.path;
    this.#env = env;
    this.#base = base;
  }

  /** Fails early when the log cannot be written, before the database is touched. */
  ensureWritable(): void {
    ensureAuditLogWritable(this.#location);
  }

  /**
   * Appends to the file, then sends the same line to every other sink. `sync: false`: the
   * record is not synced before this returns; `synced()` resolves once it is, and nothing may
   * report what it records before then.
   */
  record(fields: Record<string, unknown>, options: { sync?: boolean } = {}): AppendedRecord {
    const appended = appendAuditRecord(this.path, { ...this.#base, ...fields }, { env: this.#env, ...(options.sync === false && { sync: false }) });
    for (const sink of this.#sinks) sink.send(appended.line, fields.outcome);
    return appended;
  }

  /** Resolves once every record appended so far is durable (see record's `sync: false`), at most `maxWaitMs` from now. */
  synced(maxWaitMs: number = LIMITS.auditSyncDelayMs): Promise<void> {
    return whenSynced(this.path, maxWaitMs);
  }

  /**
   * The record a run writes, synced, before its first statement (T5.17); its hash goes into
   * the run's row in the database (T5.18). If it cannot be written, the run does not start.
   */
  started(run: { runId: string; command: string; database: string }, fields: Record<string, unknown> = {}): string {
    try {
      return this.record({ ...fields, outcome: 'started', runId: run.runId, database: run.database }).hash;
    } catch (error) {
      const why = error instanceof MigsealError ? error.message.replace(/\.$/, '') : String((error as Error)?.message ?? error);
      throw new MigsealError('IO', `Cannot record the start of the ${run.command} in the audit log ${this.path} (${why}), so nothing was run.`, { cause: error });
    }
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
