/**
 * What a signed rehearsal says: an in-toto Statement v1 whose one subject is the manifest's
 * SHA-256 (the release identity, unchanged by adding it), and whose predicate records where
 * the release was rehearsed (the server and its version), whether it passed, and per
 * migration what its up script, its down script and the second apply did, with the schema
 * fingerprints (SHA-256) before and after each step.
 */
import { MANIFEST_PATH } from './manifest.js';
import { envelopeProblems, STATEMENT_TYPE } from './statement.js';
import { decodeUtf8Strict, parseStrictJson } from './strict-json.js';
import { allowOnly, forEachObject, isJsonObject } from './json-shape.js';

export const REHEARSAL_PREDICATE_TYPE = 'https://migseal.dev/rehearsal/v1';

export type StepOutcome = 'ok' | 'failed' | 'left-behind' | 'missing' | 'not-run';

export interface RehearsedMigration {
  version: string;
  name: string;
  up: StepOutcome;
  down: StepOutcome;
  reapply: StepOutcome;
  /** The fingerprint before its up script, and after it. */
  before?: string;
  after?: string;
  /** A repeatable migration has no down script: its down step is not run, and does not fail the rehearsal. */
  repeatable?: boolean;
  /** What failed (the database's message), or what the down script left behind or took away. */
  problem?: string;
}

export interface RehearsalPredicate {
  project: string;
  release: string;
  /** The scratch database's kind and the server's own version string (`PostgreSQL 18.1`, `SQLite 3.50.4`). */
  server: { dialect: 'sqlite' | 'postgres'; version: string };
  rehearsedAt: string;
  passed: boolean;
  migrations: RehearsedMigration[];
  /** The fingerprint of the empty database, after the first full apply, and after the second. */
  fingerprints: { empty: string; applied?: string; reapplied?: string };
  /** When the schema after applying everything again differs from the one after the first apply: how. */
  reapplyDifference?: string;
}

export interface RehearsalStatement {
  _type: typeof STATEMENT_TYPE;
  subject: [{ name: typeof MANIFEST_PATH; digest: { sha256: string } }];
  predicateType: typeof REHEARSAL_PREDICATE_TYPE;
  predicate: RehearsalPredicate;
}

export function buildRehearsalStatement(manifestSha256: string, predicate: RehearsalPredicate): RehearsalStatement {
  return { _type: STATEMENT_TYPE, subject: [{ name: MANIFEST_PATH, digest: { sha256: manifestSha256 } }], predicateType: REHEARSAL_PREDICATE_TYPE, predicate };
}

/** The predicate type an attestation's payload claims, read before anything is trusted (to route it to its check). */
export function claimedPredicateType(payload: unknown): string | undefined {
  const type = (payload as { predicateType?: unknown } | null)?.predicateType;
  return typeof type === 'string' ? type : undefined;
}

const PREDICATE_FIELDS = ['project', 'release', 'server', 'rehearsedAt', 'passed', 'migrations', 'fingerprints', 'reapplyDifference'];
const MIGRATION_FIELDS = ['version', 'name', 'up', 'down', 'reapply', 'before', 'after', 'repeatable', 'problem'];

/**
 * The problems with a parsed payload as a rehearsal statement (empty when it is one). A field
 * the statement, its subject, its predicate, the server, the fingerprints or a migration does
 * not define is one.
 */
export function rehearsalProblems(value: unknown): string[] {
  return envelopeProblems(value, REHEARSAL_PREDICATE_TYPE, (pr) => {
    const p: string[] = [];
    allowOnly(pr, '$.predicate', PREDICATE_FIELDS, p);
    if (isJsonObject(pr.server)) allowOnly(pr.server, '$.predicate.server', ['dialect', 'version'], p);
    if (isJsonObject(pr.fingerprints)) allowOnly(pr.fingerprints, '$.predicate.fingerprints', ['empty', 'applied', 'reapplied'], p);
    if (Array.isArray(pr.migrations)) forEachObject(pr.migrations, '$.predicate.migrations', p, false, (m, at) => allowOnly(m, at, MIGRATION_FIELDS, p));
    if (typeof pr.project !== 'string' || typeof pr.release !== 'string') p.push('$.predicate.project and $.predicate.release must be strings');
    if (typeof pr.passed !== 'boolean') p.push('$.predicate.passed must be true or false');
    const server = pr.server as Record<string, unknown> | undefined;
    if (typeof server !== 'object' || server === null || (server.dialect !== 'sqlite' && server.dialect !== 'postgres') || typeof server.version !== 'string') p.push('$.predicate.server must name the dialect and version');
    if (!Array.isArray(pr.migrations)) p.push('$.predicate.migrations must be a list');
    else if (pr.passed === true && (pr.migrations as Array<Record<string, unknown>>).some((m) => [m?.up, m?.down, m?.reapply].some((s) => s === 'failed' || s === 'left-behind' || s === 'missing'))) p.push('$.predicate.passed is true, but a migration did not pass');
    return p;
  }, true);
}

/** Splits attestations into rehearsal statements and the rest (the build provenance), by the predicate type their payload claims. */
export function splitAttestations(attestations: ReadonlyMap<string, Buffer>): { rehearsals: Map<string, Buffer>; others: Map<string, Buffer> } {
  const rehearsals = new Map<string, Buffer>();
  const others = new Map<string, Buffer>();
  for (const [entry, bytes] of attestations) (claimsRehearsal(bytes) ? rehearsals : others).set(entry, bytes);
  return { rehearsals, others };
}

function claimsRehearsal(bytes: Buffer): boolean {
  try {
    const bundle = parseStrictJson(decodeUtf8Strict(bytes)) as { dsseEnvelope?: { payload?: unknown } };
    const payload = bundle.dsseEnvelope?.payload;
    if (typeof payload !== 'string') return false;
    return claimedPredicateType(JSON.parse(Buffer.from(payload, 'base64').toString('utf8'))) === REHEARSAL_PREDICATE_TYPE;
  } catch {
    return false;
  }
}
