/**
 * The closed set of reasons migseal stops. Every failure carries one of these
 * codes; tests and `--json` consumers match on the code, people read the message.
 *
 * Exit codes: 1 usage or I/O, 2 refused before anything ran, 3 failed while a migration was
 * running (the database may have changed), 4 the database could not be reached, opened, read
 * or locked (nothing ran; the same command may succeed later).
 */
export const ERROR_CODES = Object.freeze({
  // 1: the command could not do its job for reasons unrelated to the bundle's trust
  USAGE: 1,
  IO: 1,
  KEY_INVALID: 1,
  LAYOUT_INVALID: 1,
  CREDENTIALS_ON_COMMAND_LINE: 1,
  /** The backup before an apply could not be taken or checked: nothing ran. */
  BACKUP_FAILED: 1,
  /** A fleet's targets file is malformed, names a target twice, or carries a credential. */
  TARGETS_INVALID: 1,
  /** A bug in migseal: a guard that should never fail did, or an error escaped without a code. */
  INTERNAL: 1,
  /** The operator answered no (or nothing) when asked to confirm on a terminal. */
  NOT_CONFIRMED: 1,

  // 2: refused: the bundle, the policy or the database state fails a check
  ARCHIVE_MALFORMED: 2,
  ARCHIVE_LIMIT_EXCEEDED: 2,
  ARCHIVE_UNSAFE_ENTRY: 2,
  ARCHIVE_DUPLICATE_ENTRY: 2,
  MANIFEST_MALFORMED: 2,
  MANIFEST_INVALID: 2,
  FILE_SET_MISMATCH: 2,
  FILE_DIGEST_MISMATCH: 2,
  BUNDLE_UNSIGNED: 2,
  SIGNATURE_MALFORMED: 2,
  SIGNATURE_INVALID: 2,
  SIGNATURE_SUBJECT_MISMATCH: 2,
  SIGNER_UNKNOWN: 2,
  SIGNER_REVOKED: 2,
  SIGNER_OUTSIDE_VALIDITY: 2,
  SIGNER_ROLE_NOT_ALLOWED: 2,
  SIGNER_IDENTITY_MISMATCH: 2,
  TRUSTED_TIME_MISSING: 2,
  THRESHOLD_NOT_MET: 2,
  POLICY_INVALID: 2,
  POLICY_INSECURE: 2,
  WRONG_PROJECT: 2,
  WRONG_DIALECT: 2,
  BUNDLE_EXPIRED: 2,
  ENVIRONMENT_UNKNOWN: 2,
  RELEASE_ROLLBACK: 2,
  MIGRATION_DRIFT: 2,
  MIGRATION_UNKNOWN_APPLIED: 2,
  MIGRATION_OUT_OF_ORDER: 2,
  DATABASE_DIRTY: 2,
  DOWN_SCRIPT_MISSING: 2,
  AUDIT_CHAIN_BROKEN: 2,
  FINDINGS_NOT_ALLOWED: 2,
  ANALYSIS_MISSING: 2,
  NATIVE_RUNNER_REQUIRED: 2,
  MIGRATION_CHANGED_AFTER_RELEASE: 2,
  PROVENANCE_INVALID: 2,
  PROVENANCE_REQUIRED: 2,
  MANAGED_BY_ANOTHER_TOOL: 2,
  MIGRATION_NOT_RESOLVABLE: 2,
  HISTORY_TAMPERED: 2,
  BACKUP_REQUIRED: 2,
  BACKUP_INVALID: 2,
  RESTORE_TARGET_NOT_EMPTY: 2,
  RESTORE_MISMATCH: 2,
  SCHEMA_DRIFTED: 2,
  /** The live schema differs from the recorded one, and a later run wrote migrations without recording the schema it left: drift cannot be told apart from its work. */
  SCHEMA_UNRECORDED: 2,
  REHEARSAL_REQUIRED: 2,
  REHEARSAL_FAILED: 2,
  SCRATCH_NOT_EMPTY: 2,

  // 3: failed while running; the database is left consistent and says what happened
  MIGRATION_FAILED: 3,
  DATABASE_ERROR: 3,
  MIGRATION_PARTLY_COMMITTED: 3,
  /** A fleet rollout ran and not every target is up to date: the report names each one's outcome. */
  FLEET_INCOMPLETE: 3,

  // 4: nothing ran: the database could not be reached, opened, read or locked; retrying may succeed
  DATABASE_UNAVAILABLE: 4,
  LOCK_TIMEOUT: 4,
} as const);

export type ErrorCode = keyof typeof ERROR_CODES;

export class MigsealError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MigsealError';
    this.code = code;
    this.details = options.details;
  }

  get exitCode(): 1 | 2 | 3 | 4 {
    return ERROR_CODES[this.code];
  }
}

export function isMigsealError(value: unknown): value is MigsealError {
  return value instanceof MigsealError;
}

/** Wraps anything thrown by a dependency into a coded error, keeping the original as `cause`. */
export function asMigsealError(value: unknown, code: ErrorCode, message: string): MigsealError {
  return isMigsealError(value) ? value : new MigsealError(code, message, { cause: value });
}
