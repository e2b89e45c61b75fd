/**
 * Every size, count, ratio and timeout migseal enforces, in one place.
 * A bundle that exceeds any of them is refused, never truncated or repaired.
 */
export const LIMITS = Object.freeze({
  /** Largest bundle file read from disk (compressed bytes). */
  maxBundleBytes: 2 * 1024 ** 3,
  /** Largest decompressed tar stream. */
  maxArchiveBytes: 2 * 1024 ** 3,
  /** Decompressed bytes per compressed byte, measured once the stream exceeds `ratioGraceBytes`. */
  maxCompressionRatio: 200,
  ratioGraceBytes: 16 * 1024 ** 2,
  /** Entries in one archive (files + signatures + manifest). */
  maxEntries: 100_000,
  /** One entry's size. */
  maxEntryBytes: 1024 ** 3,
  /** Length in bytes of one entry path. */
  maxPathBytes: 255,
  /**
   * Bytes of migration files verify holds before a signature is trusted; past it, files are only
   * hashed, and read again once the signed manifest gives their sizes. With the manifest and
   * signature caps, this keeps an unsigned bundle under about 256 MB of memory.
   */
  maxUntrustedFileBytes: 8 * 1024 ** 2,
  /** manifest.json size. */
  maxManifestBytes: 64 * 1024 ** 2,
  /** One signature file size. */
  maxSignatureBytes: 256 * 1024,
  /** Signatures in one bundle. */
  maxSignatures: 64,
  /** Attestations (build provenance) in one bundle; each is at most `maxSignatureBytes`. */
  maxAttestations: 8,
  /** Nesting depth of any JSON document migseal parses. */
  maxJsonDepth: 64,
  /** Trust policy file size. */
  maxPolicyBytes: 1024 ** 2,
  /** Largest script static analysis parses; a larger one is reported as unreadable. */
  maxAnalyzedScriptChars: 16 * 1024 ** 2,
  /** `diff --patch`: largest script shown as a diff, most inserted plus deleted lines, most lines printed per script. */
  maxPatchScriptBytes: 1024 ** 2,
  maxPatchEdits: 2_000,
  maxPatchLines: 400,
  /** A fleet's targets file: its size, how many targets it names, and how many run at once at most. */
  maxTargetsFileBytes: 16 * 1024 ** 2,
  maxTargets: 100_000,
  maxFleetParallel: 64,
  /** `rollback`: most lines of each down script shown in the plan it prints before running. */
  maxRollbackPlanLines: 40,
  /** How long apply waits for another runner's lock before refusing. */
  lockTimeoutMs: 30_000,
  /**
   * PostgreSQL: how long a migration's statement may wait for a lock (lock_timeout) before it
   * fails, and how long one may run (statement_timeout, 0: no limit), unless the run, the
   * environment's policy or the migration itself says otherwise. See the README.
   */
  pgLockTimeoutMs: 10_000,
  pgStatementTimeoutMs: 0,
  /**
   * PostgreSQL: after a migration gave up waiting for a lock, how long reading the schema it
   * left (and recording the failed run) may wait for one: the session that held the lock most
   * likely still does, and the read may need it too (a view on the locked table).
   */
  pgLockTimeoutAfterLockFailureMs: 100,
  /** How long an audit log append waits for another process's append before failing. */
  auditLockTimeoutMs: 10_000,
  /** A record appended without its own fsync (a fleet target's outcome) is synced at the latest this long after, if no other record synced it. */
  auditSyncDelayMs: 1_000,
  /** An audit lock's break folder older than this was left by a process that died while using it (it is held for a few calls). */
  auditLockBreakStaleMs: 5_000,
  /** How long SQLite waits for another connection's write lock on the database file (busy_timeout). */
  sqliteBusyTimeoutMs: 5_000,
  /** How long one request to an RFC 3161 timestamp authority may take when signing (retried twice). */
  timestampAuthorityTimeoutMs: 10_000,
  /** How long one request to Fulcio, and to Rekor, may take when signing keyless (retried once). */
  fulcioTimeoutMs: 15_000,
  rekorTimeoutMs: 15_000,
  /** How long fetching the CI's OIDC token may take. */
  ciTokenTimeoutMs: 10_000,
  /** How long one `git` call may take when pack records where the migrations came from. */
  gitTimeoutMs: 10_000,
});

export type Limits = typeof LIMITS;
