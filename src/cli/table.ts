/**
 * Every command, its arguments and its flags, as data. The entry file parses against this
 * table and imports a command's module only when that command runs.
 */
export interface FlagSpec {
  type: 'string' | 'boolean';
  description: string;
  multiple?: boolean;
  short?: string;
  value?: string;
}

export interface CommandSpec {
  summary: string;
  usage: string;
  positionals: { min: number; max: number };
  flags: Record<string, FlagSpec>;
  /** True when the words after `--` are a command for migseal to run. */
  command?: boolean;
  load: () => Promise<{ run: CommandRun }>;
}

export interface CommandContext {
  env: Record<string, string | undefined>;
  cwd: string;
  /** Writes a progress line to stderr when it is a terminal; silent in pipes and with --json. */
  progress: (line: string) => void;
  /** Writes what a command is about to do to stderr (silent with --json, unless it will ask on a terminal). */
  notice?: (text: string) => void;
  /** Asks a yes/no question; present only when stdin and stdout are both a terminal. */
  confirm?: (question: string) => Promise<boolean>;
}

export interface CommandOutcome {
  /** Human-readable report for stdout. */
  text: string;
  /** The same facts for machines, printed with --json. */
  json: unknown;
  /** Non-zero when the command ran but reports a negative answer (e.g. a broken audit chain). */
  exitCode?: number;
}

export type CommandRun = (args: { positionals: string[]; flags: Record<string, unknown>; command?: string[] }, context: CommandContext) => Promise<CommandOutcome>;

const json: FlagSpec = { type: 'boolean', description: 'print a JSON document instead of text' };
const trust: FlagSpec = { type: 'string', value: 'FILE', description: "the host's trust policy (JSON)" };
const env: FlagSpec = { type: 'string', value: 'NAME', description: 'the policy environment whose thresholds apply (default: "default")' };
const key: FlagSpec = { type: 'string', value: 'FILE', description: 'PEM private key to sign with (passphrase from MIGSEAL_KEY_PASSPHRASE or MIGSEAL_KEY_PASSPHRASE_FILE)' };
const db: FlagSpec = { type: 'string', value: 'URL', description: 'sqlite:PATH or postgres://user@host/db (default: $MIGSEAL_DATABASE_URL; password only from PGPASSWORD, MIGSEAL_DATABASE_PASSWORD or MIGSEAL_DATABASE_PASSWORD_FILE)' };
const lockTimeout: FlagSpec = { type: 'string', value: 'SECONDS', description: "how long to wait for another runner's lock (default: $MIGSEAL_LOCK_TIMEOUT, else 30)" };
const pgLockTimeout: FlagSpec = { type: 'string', value: 'DURATION', description: "PostgreSQL: how long a migration's statement may wait for a lock, e.g. 5s (default: the environment's pgLockTimeout, else 10s; 0: no limit)" };
const pgLockWait: FlagSpec = { type: 'string', value: 'DURATION', description: 'PostgreSQL: how long a statement may wait for a lock another session holds (a migration running, a LOCK TABLE), e.g. 5s (default 10s, as apply; 0: no limit)' };
const pgStatementTimeout: FlagSpec = { type: 'string', value: 'DURATION', description: "PostgreSQL: how long one statement may run, e.g. 30m (default: the environment's pgStatementTimeout, else 0: no limit)" };
const auditLog: FlagSpec = { type: 'string', value: 'FILE', description: 'audit log to record the run in (default: $MIGSEAL_AUDIT_LOG, else $XDG_STATE_HOME/migseal/audit.jsonl, else ~/.local/state/migseal/audit.jsonl)' };
const auditSink: FlagSpec = { type: 'string', multiple: true, value: 'SINK', description: 'also send each audit record, as the same JSON line, to stdout or syslog (repeatable or a comma list; default: $MIGSEAL_AUDIT_SINK)' };
const allowUnknownApplied: FlagSpec = { type: 'boolean', description: 'accept applied migrations that the bundle does not contain' };
const applyTo: FlagSpec = { type: 'string', value: 'VERSION', description: 'apply up to and including this version of the bundle; later ones stay pending (repeatable migrations run with the whole release)' };
const peerTableUnrelated: FlagSpec = { type: 'boolean', description: "another migration tool's history table in the database is unrelated: apply anyway instead of adopting" };

const targets: FlagSpec = { type: 'string', value: 'FILE', description: 'instead of --db: a fleet of databases, as JSON [{"name","db"}] or one URL per line (passwords never in it: passwordFile, passwordEnv, or the variables --db reads)' };
const shard: FlagSpec = { type: 'string', value: 'I/N', description: 'with --targets: only the targets whose name hashes to shard I of N (numbered from 1), for N machines that share one targets file' };

const timestampUrl: FlagSpec = { type: 'string', value: 'URL', description: 'RFC 3161 timestamp authority (Sigstore API) whose timestamp proves when the signature was made' };
const keyless: FlagSpec = { type: 'boolean', description: 'sign in CI without a key: Fulcio certificate for the CI OIDC identity, Rekor entry (GitHub Actions, GitLab CI)' };
const cert: FlagSpec = { type: 'string', value: 'FILE', description: 'PEM certificate for --key (from migseal ca issue): sign as its identity' };

export const COMMANDS: Record<string, CommandSpec> = {
  'keys generate': {
    summary: 'create a signing key pair',
    usage: 'migseal keys generate --out PREFIX [--type ed25519|ecdsa-p256|rsa] [--force]',
    positionals: { min: 0, max: 0 },
    flags: {
      out: { type: 'string', value: 'PREFIX', description: 'writes PREFIX.key (mode 0600) and PREFIX.pub' },
      type: { type: 'string', value: 'TYPE', description: 'ed25519 (default; deterministic signatures), ecdsa-p256 or rsa' },
      force: { type: 'boolean', description: 'overwrite existing files' },
      json,
    },
    load: () => import('./commands/keys-generate.js'),
  },
  pack: {
    summary: 'pack a migrations folder into a signed bundle',
    usage: 'migseal pack DIR --project NAME --release N --out FILE [--key FILE [--cert FILE] | --keyless] [--timestamp-url URL] [--layout auto|...] [--dialect D] [--force]',
    positionals: { min: 1, max: 1 },
    flags: {
      project: { type: 'string', value: 'NAME', description: 'the project the release belongs to' },
      release: { type: 'string', value: 'N', description: 'release version: dot-separated numbers, ordered numerically (42, 2026.11.3)' },
      out: { type: 'string', value: 'FILE', description: 'where to write the bundle' },
      key,
      cert,
      'timestamp-url': timestampUrl,
      keyless,
      role: { type: 'string', value: 'ROLE', description: 'role of the --key signature (default: release)' },
      layout: { type: 'string', value: 'NAME', description: 'source layout (default: auto)' },
      dialect: { type: 'string', value: 'NAME', description: 'sqlite, postgres, mysql or any (default: what the folder says, else any)' },
      expires: { type: 'string', value: 'TIME', description: 'signed expiry (RFC 3339); hosts refuse the release after it' },
      'peer-history': { type: 'string', value: 'MODE', description: "keep (the default) or off: keep the layout's own tool's history table with each migration" },
      'peer-table': { type: 'string', value: 'NAME', description: "the tool's history table when not its default (golang-migrate, dbmate, Flyway)" },
      'source-repo': { type: 'string', value: 'URL', description: 'source repository (default: CI variables, then git)' },
      'source-commit': { type: 'string', value: 'SHA', description: 'source commit (default: CI variables, then git)' },
      'source-ref': { type: 'string', value: 'REF', description: 'git ref built, recorded in the provenance (default: CI variables, then git)' },
      builder: { type: 'string', value: 'ID', description: 'builder identity (default: CI variables, else "local")' },
      invocation: { type: 'string', value: 'ID', description: 'id or URI of this build run, recorded in the provenance (default: CI variables)' },
      force: { type: 'boolean', description: 'overwrite --out when it already exists' },
      json,
    },
    load: () => import('./commands/pack.js'),
  },
  sign: {
    summary: 'add a co-signature (e.g. an approval) to a bundle',
    usage: 'migseal sign BUNDLE --key FILE [--cert FILE] | --keyless [--role release|approve] [--timestamp-url URL] [--out FILE]',
    positionals: { min: 1, max: 1 },
    flags: {
      key,
      cert,
      'timestamp-url': timestampUrl,
      keyless,
      role: { type: 'string', value: 'ROLE', description: 'release or approve (default: approve)' },
      out: { type: 'string', value: 'FILE', description: 'write the signed bundle here (default: in place)' },
      json,
    },
    load: () => import('./commands/sign.js'),
  },
  lint: {
    summary: 'check migrations for destructive, locking and out-of-schema statements',
    usage: 'migseal lint DIR [--layout auto|...] [--dialect postgres|sqlite] [--format text|json|sarif]',
    positionals: { min: 1, max: 1 },
    flags: {
      layout: { type: 'string', value: 'NAME', description: 'source layout (default: auto)' },
      dialect: { type: 'string', value: 'NAME', description: 'postgres or sqlite (default: what the folder says, else the parser that reads it)' },
      format: { type: 'string', value: 'FORMAT', description: 'text (default), json or sarif (SARIF 2.1.0); exit code 2 when an error finding is not allowed by a directive' },
      json,
    },
    load: () => import('./commands/lint.js'),
  },
  inspect: {
    summary: 'show what a bundle claims, without trusting it',
    usage: 'migseal inspect BUNDLE [--json]',
    positionals: { min: 1, max: 1 },
    flags: { json },
    load: () => import('./commands/inspect.js'),
  },
  diff: {
    summary: 'show what changed between two releases; a released migration whose bytes changed exits 2',
    usage: 'migseal diff OLD NEW [--trust FILE [--env NAME]] [--patch] [--json]',
    positionals: { min: 2, max: 2 },
    flags: {
      trust: { type: 'string', value: 'FILE', description: "verify both bundles against the host's trust policy first (without it, contents are claimed, not verified)" },
      env,
      patch: { type: 'boolean', description: "add a unified diff of each changed script, and the text of each added migration's scripts (bounded; control characters escaped)" },
      json,
    },
    load: () => import('./commands/diff.js'),
  },
  verify: {
    summary: "verify a bundle against the host's trust policy",
    usage: 'migseal verify BUNDLE --trust FILE [--env NAME] | --key FILE | --certificate-identity ID --certificate-oidc-issuer URL [--trusted-root FILE] [--json]',
    positionals: { min: 1, max: 1 },
    flags: {
      trust,
      env,
      key: { type: 'string', value: 'FILE', description: 'instead of --trust: verify that this PEM public key made the release signature (no policy: no approvals, expiry or provenance rules)' },
      'certificate-identity': { type: 'string', value: 'ID', description: 'instead of --trust: the exact identity (URI or email) of the certificate that made the release signature' },
      'certificate-oidc-issuer': { type: 'string', value: 'URL', description: 'with --certificate-identity: the exact OIDC issuer in that certificate' },
      'trusted-root': { type: 'string', value: 'FILE', description: "with --certificate-identity: a Sigstore trusted_root.json (default: the public-good instance's root shipped with migseal)" },
      json,
    },
    load: () => import('./commands/verify.js'),
  },
  plan: {
    summary: 'verify a bundle and show what apply would do, changing nothing',
    usage: 'migseal plan BUNDLE --trust FILE [--env NAME] [--db URL [--to VERSION] | --targets FILE [--shard I/N]] [--pg-lock-timeout DURATION] [--json]',
    positionals: { min: 1, max: 1 },
    flags: { trust, env, db, to: applyTo, targets, shard, parallel: { type: 'string', value: 'N', description: 'with --targets: how many targets are read at once (default 4)' }, 'pg-lock-timeout': pgLockTimeout, 'allow-unknown-applied': allowUnknownApplied, 'peer-table-unrelated': peerTableUnrelated, 'audit-log': auditLog, 'audit-sink': auditSink, json },
    load: () => import('./commands/plan.js'),
  },
  apply: {
    summary: 'verify a bundle, then apply its pending migrations',
    usage: 'migseal apply BUNDLE --trust FILE [--env NAME] [--db URL [--to VERSION] | --targets FILE [--canary N] [--wave N] [--parallel N] [--shard I/N] [--report FILE]] [--lock-timeout SECONDS] [--json]',
    positionals: { min: 1, max: 1 },
    flags: {
      trust,
      env,
      db,
      to: applyTo,
      targets,
      canary: { type: 'string', value: 'N', description: 'with --targets: how many targets (the first in the file; with --shard, the first of the shard) go first; if one fails, no other target of this run starts (default 1)' },
      wave: { type: 'string', value: 'N', description: 'with --targets: targets per wave after the canary; a failure stops the rollout after its wave (default 10)' },
      parallel: { type: 'string', value: 'N', description: 'with --targets: how many targets of a wave run at once (default 4)' },
      shard,
      report: { type: 'string', value: 'FILE', description: "with --targets: also write the rollout's JSON report to FILE" },
      'lock-timeout': lockTimeout,
      'pg-lock-timeout': pgLockTimeout,
      'pg-statement-timeout': pgStatementTimeout,
      backup: { type: 'string', value: 'DIR', description: "back the database up into DIR first, after the checks and before the first statement (SQLite's online backup; PostgreSQL: the host's pg_dump); required by the environment's requireBackup" },
      'allow-unknown-applied': allowUnknownApplied,
      'peer-table-unrelated': peerTableUnrelated,
      'dry-run': { type: 'boolean', description: 'show what apply would do and change nothing (the same as migseal plan)' },
      'audit-log': auditLog,
      'audit-sink': auditSink,
      json,
    },
    load: () => import('./commands/apply.js'),
  },
  status: {
    summary: "show a database's release, dirty marks and (with --bundle) what is pending",
    usage: 'migseal status [--db URL] [--bundle FILE [--trust FILE]] [--pg-lock-timeout DURATION] [--json]',
    positionals: { min: 0, max: 0 },
    flags: { db, bundle: { type: 'string', value: 'FILE', description: 'compare with this bundle (verified when --trust is given)' }, trust, env, 'pg-lock-timeout': pgLockWait, json },
    load: () => import('./commands/status.js'),
  },
  history: {
    summary: 'list the runs and migrations recorded in a database, with provenance',
    usage: 'migseal history [--db URL] [--pg-lock-timeout DURATION] [--json]',
    positionals: { min: 0, max: 0 },
    flags: { db, 'pg-lock-timeout': pgLockWait, json },
    load: () => import('./commands/history.js'),
  },
  rehearse: {
    summary: 'rehearse a release on an empty scratch database: every migration up, every down script back, everything up again; sign the outcome into the bundle',
    usage: 'migseal rehearse BUNDLE --trust FILE --db SCRATCH_URL [--env NAME] [--key FILE [--cert FILE] | --keyless] [--timestamp-url URL] [--out FILE] [--lock-timeout SECONDS] [--pg-lock-timeout DURATION] [--audit-log FILE] [--audit-sink SINK] [--json]',
    positionals: { min: 1, max: 1 },
    flags: {
      trust,
      env,
      db: { ...db, description: 'the scratch database: empty, of the kind the release targets (sqlite:PATH or postgres://user@host/db)' },
      key: { ...key, description: 'sign the rehearsal statement into the bundle with this key (its policy entry needs the role the environments require, e.g. rehearse)' },
      cert,
      keyless,
      'timestamp-url': timestampUrl,
      out: { type: 'string', value: 'FILE', description: 'write the bundle with the signed rehearsal here (default: in place)' },
      'lock-timeout': lockTimeout,
      'pg-lock-timeout': pgLockTimeout,
      'pg-statement-timeout': pgStatementTimeout,
      'audit-log': auditLog,
      'audit-sink': auditSink,
      json,
    },
    load: () => import('./commands/rehearse.js'),
  },
  drift: {
    summary: 'compare the live schema with the fingerprint the last run recorded (exit 2 when it drifted), or accept the drift as intended',
    usage: 'migseal drift [--db URL] [--pg-lock-timeout DURATION] [--json] | migseal drift --accept --reason TEXT [--db URL] [--json]',
    positionals: { min: 0, max: 0 },
    flags: {
      db,
      accept: { type: 'boolean', description: 'record the drifted live schema as intended (a run of its own, with who decided), so plan and apply stop refusing it' },
      reason: { type: 'string', value: 'TEXT', description: 'with --accept: why the change is intended; recorded with who decided' },
      'lock-timeout': lockTimeout,
      'pg-lock-timeout': pgLockWait,
      'audit-log': auditLog,
      'audit-sink': auditSink,
      json,
    },
    load: () => import('./commands/drift.js'),
  },
  rollback: {
    summary: "roll back to a version with the bundle's verified down scripts",
    usage: 'migseal rollback BUNDLE --trust FILE --to VERSION [--yes] [--env NAME] [--db URL] [--json]',
    positionals: { min: 1, max: 1 },
    flags: {
      trust,
      env,
      db,
      to: { type: 'string', value: 'VERSION', description: 'the version to keep; later ones are rolled back, newest first (0: all)' },
      yes: { type: 'boolean', description: 'roll back without asking; required when stdin or stdout is not a terminal (the plan is printed first either way)' },
      'lock-timeout': lockTimeout,
      'pg-lock-timeout': pgLockTimeout,
      'pg-statement-timeout': pgStatementTimeout,
      'allow-unknown-applied': allowUnknownApplied,
      'audit-log': auditLog,
      'audit-sink': auditSink,
      json,
    },
    load: () => import('./commands/rollback.js'),
  },
  resolve: {
    summary: 'record how a failed non-transactional migration ended, and clear the dirty mark (only a dirty one, unless --force)',
    usage: 'migseal resolve --version V --as applied|rolled-back --reason TEXT [--force] [--bundle FILE --trust FILE [--env NAME]] [--db URL] [--json]',
    positionals: { min: 0, max: 0 },
    flags: {
      db,
      version: { type: 'string', value: 'V', description: 'the migration version to resolve' },
      as: { type: 'string', value: 'STATE', description: 'applied (it took effect) or rolled-back (it did not)' },
      reason: { type: 'string', value: 'TEXT', description: 'why; recorded with who decided' },
      force: { type: 'boolean', description: 'rewrite the record of a migration that is not dirty (the next apply may run it again); recorded as forced' },
      bundle: { type: 'string', value: 'FILE', description: "the bundle that ran the migration, verified with --trust: settles the peer tool's table its manifest names (a custom --peer-table too); without it, the tools' default table names" },
      trust,
      env,
      'lock-timeout': lockTimeout,
      'pg-lock-timeout': pgLockWait,
      'audit-log': auditLog,
      'audit-sink': auditSink,
      json,
    },
    load: () => import('./commands/resolve.js'),
  },
  restore: {
    summary: 'restore a backup apply --backup took into an empty database, and check its schema against the fingerprint recorded with it',
    usage: 'migseal restore BACKUP_FILE --db URL [--pg-lock-timeout DURATION] [--json]',
    positionals: { min: 1, max: 1 },
    flags: { db: { type: 'string', value: 'URL', description: 'the EMPTY scratch database to restore into (sqlite:PATH: absent or empty; postgres://user@host/db: no tables, schemas or objects)' }, 'pg-lock-timeout': pgLockWait, json },
    load: () => import('./commands/restore.js'),
  },
  audit: {
    summary: "the auditor's report on a bundle: verified or claimed facts, signers, provenance, migrations, findings and (with --db) the database's history",
    usage: 'migseal audit BUNDLE [--trust FILE [--env NAME]] [--db URL] [--html FILE] [--pg-lock-timeout DURATION] [--json]',
    positionals: { min: 1, max: 1 },
    flags: {
      trust: { type: 'string', value: 'FILE', description: "verify against the host's trust policy (without it every fact is only claimed)" },
      env,
      db: { type: 'string', value: 'URL', description: 'compare with this database\'s history, read-only (sqlite:PATH must exist; postgres://user@host/db, password only from PGPASSWORD, MIGSEAL_DATABASE_PASSWORD or MIGSEAL_DATABASE_PASSWORD_FILE)' },
      html: { type: 'string', value: 'FILE', description: 'write the report as one self-contained HTML page (also when the bundle is refused)' },
      'pg-lock-timeout': { ...pgLockWait, description: "PostgreSQL, with --db: how long a read may wait for a lock another session holds, e.g. 5s (default: the environment's pgLockTimeout with --trust, else 10s; 0: no limit)" },
      json,
    },
    load: () => import('./commands/audit.js'),
  },
  'audit-log verify': {
    summary: "check an audit log's hash chain and name the first broken record",
    usage: 'migseal audit-log verify FILE [--db URL] [--pg-lock-timeout DURATION] [--json]',
    positionals: { min: 1, max: 1 },
    flags: { db: { type: 'string', value: 'URL', description: "cross-check the log against the runs this database recorded, read-only (its history chain is checked first)" }, 'pg-lock-timeout': pgLockWait, json },
    load: () => import('./commands/audit-log-verify.js'),
  },
  exec: {
    summary: 'verify a bundle, then hand a read-only copy of its files to a native tool',
    usage: 'migseal exec BUNDLE --trust FILE [--env NAME] [--audit-log FILE] [--audit-sink SINK] -- COMMAND {dir} ...',
    positionals: { min: 1, max: 1 },
    flags: {
      trust,
      env,
      'audit-log': auditLog,
      'audit-sink': auditSink,
      json,
    },
    command: true,
    load: () => import('./commands/exec.js'),
  },
  'ca init': {
    summary: "create the organisation's signing certificate authority",
    usage: 'migseal ca init --out DIR [--name CN] [--days N] [--force]',
    positionals: { min: 0, max: 0 },
    flags: {
      out: { type: 'string', value: 'DIR', description: 'writes DIR/ca.crt and DIR/ca.key (mode 0600; encrypted when MIGSEAL_CA_PASSPHRASE or MIGSEAL_CA_PASSPHRASE_FILE is set)' },
      name: { type: 'string', value: 'CN', description: 'the CA\'s common name (default: "migseal signing CA")' },
      days: { type: 'string', value: 'N', description: 'validity in days (default: 3650)' },
      force: { type: 'boolean', description: 'overwrite existing files' },
      json,
    },
    load: () => import('./commands/ca-init.js'),
  },
  'ca issue': {
    summary: 'issue a code-signing certificate for a signer identity',
    usage: 'migseal ca issue --ca DIR --identity URI|EMAIL --issuer URL --out PREFIX [--days N] [--force]',
    positionals: { min: 0, max: 0 },
    flags: {
      ca: { type: 'string', value: 'DIR', description: 'the CA folder made by migseal ca init' },
      identity: { type: 'string', value: 'ID', description: 'the signer identity: a URI (CI workflow) or an email address' },
      issuer: { type: 'string', value: 'URL', description: 'the OIDC issuer recorded in the certificate (exactly as the policy names it)' },
      days: { type: 'string', value: 'N', description: 'validity in days (default: 90)' },
      out: { type: 'string', value: 'PREFIX', description: 'writes PREFIX.crt and PREFIX.key (mode 0600)' },
      force: { type: 'boolean', description: 'overwrite existing files' },
      json,
    },
    load: () => import('./commands/ca-issue.js'),
  },
  'trust init': {
    summary: 'write a starting trust policy for one release signer and optional approvers (never over an existing file)',
    usage: 'migseal trust init --project NAME (--key FILE | --identity ID --issuer URL) [--approver FILE ...] [--env NAME] --out FILE [--json]',
    positionals: { min: 0, max: 0 },
    flags: {
      project: { type: 'string', value: 'NAME', description: 'the project the policy is for' },
      key: { type: 'string', value: 'FILE', description: 'the release signer: a PEM public key (kept where it is; the policy names it relative to --out)' },
      identity: { type: 'string', value: 'ID', description: 'the release signer: the exact certificate identity of a keyless CI job (public-good Sigstore)' },
      issuer: { type: 'string', value: 'URL', description: 'with --identity: the exact OIDC issuer' },
      approver: { type: 'string', value: 'FILE', multiple: true, description: 'a reviewer\'s PEM public key (repeat for more); then one approval from someone other than the release signer is required' },
      env: { type: 'string', value: 'NAME', description: 'the environment the rules are for (default: "default")' },
      out: { type: 'string', value: 'FILE', description: 'where to write the policy (mode 0644; refused if it exists)' },
      json,
    },
    load: () => import('./commands/trust-init.js'),
  },
  'trust check': {
    summary: 'lint a trust policy (permissions, unreadable keys, duplicate ids, unreachable thresholds)',
    usage: 'migseal trust check POLICY [--json]',
    positionals: { min: 1, max: 1 },
    flags: { json },
    load: () => import('./commands/trust-check.js'),
  },
  adopt: {
    summary: 'take over a database another migration tool managed, recording what it applied',
    usage: 'migseal adopt BUNDLE --trust FILE --from golang-migrate|prisma|diesel|dbmate|flyway|doctrine [--db URL] [--env NAME] [--json]',
    positionals: { min: 1, max: 1 },
    flags: {
      trust,
      env,
      from: { type: 'string', value: 'TOOL', description: "the tool whose history table to read: golang-migrate, prisma, diesel, dbmate, flyway or doctrine (adopt only reads its table; apply keeps it in step when the bundle keeps it)" },
      db,
      'lock-timeout': lockTimeout,
      'pg-lock-timeout': pgLockTimeout,
      'audit-log': auditLog,
      'audit-sink': auditSink,
      json,
    },
    load: () => import('./commands/adopt.js'),
  },
};
