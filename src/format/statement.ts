/**
 * What a signature says: an in-toto Statement v1 whose one subject is the manifest's
 * SHA-256, and whose predicate binds the signer's role, the project and the release.
 * The release identity is the manifest digest, so co-signatures never change it.
 */
import { MANIFEST_PATH } from './manifest.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const PREDICATE_TYPE = 'https://migseal.dev/release-signature/v1';

export const ROLES = ['release', 'approve'] as const;
export type Role = (typeof ROLES)[number];
/** The roles a key or identity may hold: the signature roles, and `rehearse` (who may sign a rehearsal statement). */
export const SIGNER_ROLES = [...ROLES, 'rehearse'] as const;
export type SignerRole = (typeof SIGNER_ROLES)[number];

export interface SignaturePredicate {
  role: Role;
  project: string;
  release: string;
}

export interface ReleaseStatement {
  _type: typeof STATEMENT_TYPE;
  subject: [{ name: typeof MANIFEST_PATH; digest: { sha256: string } }];
  predicateType: typeof PREDICATE_TYPE;
  predicate: SignaturePredicate;
}

export function buildStatement(manifestSha256: string, predicate: SignaturePredicate): ReleaseStatement {
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: MANIFEST_PATH, digest: { sha256: manifestSha256 } }],
    predicateType: PREDICATE_TYPE,
    predicate,
  };
}

/** Checks a parsed payload's shape; returns the problems found (empty when it is a release statement). */
export function statementProblems(value: unknown): string[] {
  return envelopeProblems(value, PREDICATE_TYPE, (predicate) => {
    const p: string[] = [];
    if (!ROLES.includes(predicate.role as Role)) p.push(`predicate.role must be one of ${ROLES.join(', ')}`);
    if (typeof predicate.project !== 'string') p.push('predicate.project must be a string');
    if (typeof predicate.release !== 'string') p.push('predicate.release must be a string');
    return p;
  });
}

/**
 * The problems with a parsed payload as an in-toto Statement v1 of the given predicate type
 * whose one subject is the manifest with its SHA-256, followed by `predicateProblems` of its
 * predicate when it has one (empty when it is such a statement).
 */
export function envelopeProblems(value: unknown, predicateType: string, predicateProblems: (predicate: Record<string, unknown>) => string[]): string[] {
  const p: string[] = [];
  const v = value as Record<string, unknown> | null;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return ['the statement is not an object'];
  if (v._type !== STATEMENT_TYPE) p.push('_type is not an in-toto Statement v1');
  if (v.predicateType !== predicateType) p.push(`predicateType is not ${predicateType}`);
  const subject = v.subject as Array<Record<string, unknown>> | undefined;
  if (!Array.isArray(subject) || subject.length !== 1) p.push('the statement must have exactly one subject');
  else {
    const digest = subject[0]?.digest as Record<string, unknown> | undefined;
    if (subject[0]?.name !== MANIFEST_PATH) p.push(`the subject must be ${MANIFEST_PATH}`);
    if (typeof digest?.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(digest.sha256)) p.push('the subject has no SHA-256 digest');
  }
  const predicate = v.predicate as Record<string, unknown> | undefined;
  if (typeof predicate !== 'object' || predicate === null || Array.isArray(predicate)) p.push('the statement has no predicate');
  else p.push(...predicateProblems(predicate));
  return p;
}
