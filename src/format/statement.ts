/**
 * What a signature says: an in-toto Statement v1 whose one subject is the manifest's
 * SHA-256, and whose predicate binds the signer's role, the project and the release.
 * The release identity is the manifest digest, so co-signatures never change it.
 */
import { MANIFEST_PATH } from './manifest.js';
import { SHA256_HEX } from './digest.js';
import { allowOnly, isJsonObject, type JsonObject } from './json-shape.js';

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

/**
 * Checks a parsed payload's shape; returns the problems found (empty when it is a release
 * statement). A field the statement, its subject or its predicate does not define is one.
 */
export function statementProblems(value: unknown): string[] {
  return envelopeProblems(value, PREDICATE_TYPE, (predicate) => {
    const p: string[] = [];
    allowOnly(predicate, '$.predicate', ['role', 'project', 'release'], p);
    if (!ROLES.includes(predicate.role as Role)) p.push(`$.predicate.role must be one of ${ROLES.join(', ')}`);
    if (typeof predicate.project !== 'string') p.push('$.predicate.project must be a string');
    if (typeof predicate.release !== 'string') p.push('$.predicate.release must be a string');
    return p;
  }, true);
}

/**
 * The problems with a parsed payload as an in-toto Statement v1 of the given predicate type
 * whose one subject is the manifest with its SHA-256, followed by `predicateProblems` of its
 * predicate when it has one (empty when it is such a statement). Each problem names its field
 * by its JSON path (`$.subject[0].name ...`). With `knownFieldsOnly`, a field the statement
 * or its subject does not define is a problem too.
 */
export function envelopeProblems(value: unknown, predicateType: string, predicateProblems: (predicate: JsonObject) => string[], knownFieldsOnly = false): string[] {
  const p: string[] = [];
  if (!isJsonObject(value)) return ['the statement is not an object'];
  if (knownFieldsOnly) allowOnly(value, '$', ['_type', 'subject', 'predicateType', 'predicate'], p);
  if (value._type !== STATEMENT_TYPE) p.push('$._type is not an in-toto Statement v1');
  if (value.predicateType !== predicateType) p.push(`$.predicateType is not ${predicateType}`);
  const subject = value.subject;
  if (!Array.isArray(subject) || subject.length !== 1 || !isJsonObject(subject[0])) p.push('$.subject must hold exactly one subject');
  else {
    const s = subject[0];
    if (knownFieldsOnly) allowOnly(s, '$.subject[0]', ['name', 'digest'], p);
    if (s.name !== MANIFEST_PATH) p.push(`$.subject[0].name must be ${MANIFEST_PATH}`);
    if (!isJsonObject(s.digest) || typeof s.digest.sha256 !== 'string' || !SHA256_HEX.test(s.digest.sha256)) p.push('$.subject[0].digest.sha256 must be 64 lowercase hex digits');
    else if (knownFieldsOnly) allowOnly(s.digest, '$.subject[0].digest', ['sha256'], p);
  }
  if (!isJsonObject(value.predicate)) p.push('$.predicate must be an object');
  else p.push(...predicateProblems(value.predicate));
  return p;
}
