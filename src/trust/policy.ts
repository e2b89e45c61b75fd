/**
 * The host's trust policy: which keys may sign for this project, in which roles, during
 * which window, and how many distinct signers each environment needs. Loaded from a JSON
 * file; key paths are relative to it. See keys/README.md for the format.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { MigsealError } from '../errors.js';
import { cannotRead } from '../read-error.js';
import { LIMITS } from '../limits.js';
import { decodeUtf8Strict, parseStrictJson } from '../format/strict-json.js';
import { DIALECTS, type Dialect } from '../format/manifest.js';
import { ROLES, SIGNER_ROLES, type Role, type SignerRole } from '../format/statement.js';
import { keyIdOf, loadPublicKey } from '../format/public-key.js';
import { DISK_TRUST_FILES, insecurePermissions, readTrustedFile, type TrustFiles } from './file-permissions.js';
import { parseFindingsPolicy, type FindingsPolicy } from './findings-policy.js';
import { parseIdentities, type TrustedIdentity } from './identities.js';
import { parseProvenanceRequirement, type ProvenanceRequirement } from './provenance-policy.js';
import type { SignerAuthority } from './signer-authority.js';
import type { CertificateAuthority } from '@sigstore/protobuf-specs';
import { allowOnly, forEachObject, isJsonObject, optionalBoolean, type JsonObject } from '../format/json-shape.js';
import { DURATION_FORMS, parseDuration } from '../format/duration.js';

export interface TrustedKey {
  id: string;
  keyId: string;
  publicKey: KeyObject;
  roles: SignerRole[];
  notBefore?: Date;
  notAfter?: Date;
  revoked: boolean;
  /** Past notAfter, still accepted for signatures a trusted time places inside the window. */
  retired: boolean;
}

export interface EnvironmentRule {
  thresholds: Partial<Record<Role, number>>;
  requireExpiry: boolean;
  /** Approvals count only from keys or identities other than those that signed the release. */
  approversDistinctFromRelease: boolean;
  /** What to do with each analysis finding in the manifest (see findings-policy.ts); absent: the defaults. */
  findings?: FindingsPolicy;
  /** A verified build provenance is required, naming these (see provenance-policy.ts); absent: not required. */
  provenance?: ProvenanceRequirement;
  /**
   * What plan and apply do when the live schema no longer matches the fingerprint the last run
   * recorded: refuse (the default where the environment requires an approval) or warn (elsewhere).
   */
  onDrift: 'refuse' | 'warn';
  /** PostgreSQL's lock_timeout and statement_timeout for runs in this environment, in milliseconds (absent: migseal's defaults). */
  pgLockTimeoutMs?: number;
  pgStatementTimeoutMs?: number;
  /** A passing rehearsal statement signed by a key or identity holding this role is required; absent: not required. */
  requireRehearsal?: { role: SignerRole };
  /** apply must take a backup first (--backup DIR). */
  requireBackup?: boolean;
}

export interface TrustPolicy {
  path: string;
  project: string;
  dialect?: Dialect;
  keys: TrustedKey[];
  /** Certificate authorities by id (including the built-in public-good one when used). */
  authorities: ReadonlyMap<string, SignerAuthority>;
  identities: TrustedIdentity[];
  /** RFC 3161 timestamp authorities whose timestamps count as trusted signing times. */
  timestampAuthorities: CertificateAuthority[];
  environments: Record<string, EnvironmentRule>;
}

export type { TrustedIdentity } from './identities.js';

export const DEFAULT_ENVIRONMENT = 'default';

export function loadTrustPolicy(path: string): TrustPolicy {
  const absolute = resolve(path);
  const problem = insecurePermissions(absolute);
  if (problem) throw new MigsealError('POLICY_INSECURE', `The trust policy is not safe to use: ${problem}.`);
  let bytes: Buffer;
  try {
    if (statSync(absolute).size > LIMITS.maxPolicyBytes) throw new MigsealError('POLICY_INVALID', `The trust policy ${path} is larger than ${LIMITS.maxPolicyBytes} bytes.`);
    bytes = readTrustedFile(absolute);
  } catch (error) {
    if (error instanceof MigsealError) throw error;
    throw cannotRead('trust policy', path, error);
  }
  return parseTrustPolicy(bytes, absolute);
}

/** A trust policy from the bytes of the file at `path` (key and certificate paths are relative to it, read through `files`). */
export function parseTrustPolicy(bytes: Buffer, path: string, files: TrustFiles = DISK_TRUST_FILES): TrustPolicy {
  if (bytes.length > LIMITS.maxPolicyBytes) throw new MigsealError('POLICY_INVALID', `The trust policy ${path} is larger than ${LIMITS.maxPolicyBytes} bytes.`);
  let text: string;
  try {
    text = decodeUtf8Strict(bytes);
  } catch (error) {
    throw new MigsealError('POLICY_INVALID', `The trust policy ${path} is not UTF-8 JSON.`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = parseStrictJson(text);
  } catch (error) {
    throw new MigsealError('POLICY_INVALID', `The trust policy ${path} is not strict JSON: ${(error as Error).message}.`, { cause: error });
  }
  return buildPolicy(raw, resolve(path), files);
}

/** A policy from a JSON value made in memory (paths in it are relative to `path`'s folder), checked as a file would be. */
export function trustPolicyFromJson(raw: unknown, path: string): TrustPolicy {
  return buildPolicy(raw, path, DISK_TRUST_FILES);
}

function buildPolicy(raw: unknown, path: string, files: TrustFiles): TrustPolicy {
  const p: string[] = [];
  const base = dirname(path);
  if (!isJsonObject(raw)) throw new MigsealError('POLICY_INVALID', `The trust policy ${path} is not a JSON object.`);
  allowOnly(raw, '$', ['project', 'dialect', 'keys', 'cas', 'identities', 'timestampAuthorities', 'environments', 'description'], p);
  if (typeof raw.project !== 'string' || raw.project === '') p.push('$.project must name the project');
  if (raw.dialect !== undefined && !DIALECTS.includes(raw.dialect as Dialect)) p.push(`$.dialect must be one of ${DIALECTS.join(', ')}`);
  const { keys, ids } = parseKeys(raw.keys, base, p, files);
  const { authorities, identities, timestampAuthorities } = parseIdentities(raw, base, p, (v, at) => optTime(v, at, p), files);
  for (const identity of identities) {
    if (ids.has(identity.id)) p.push(`identity id "${identity.id}" repeats a key or identity id`);
    ids.add(identity.id);
  }
  const environments = parseEnvironments(raw.environments, p);
  if (p.length > 0) {
    throw new MigsealError('POLICY_INVALID', `The trust policy ${path} is invalid: ${p.slice(0, 5).join('; ')}${p.length > 5 ? ` (and ${p.length - 5} more)` : ''}.`, {
      details: { problems: p },
    });
  }
  return {
    path,
    project: raw.project as string,
    ...(raw.dialect !== undefined && { dialect: raw.dialect as Dialect }),
    keys,
    authorities,
    identities,
    timestampAuthorities,
    environments,
  };
}

/** `keys`: each a public key file (relative to the policy), its roles and validity window; one key listed once. `ids`: every key id named. */
function parseKeys(value: unknown, base: string, p: string[], files: TrustFiles): { keys: TrustedKey[]; ids: Set<string> } {
  const keys: TrustedKey[] = [];
  const ids = new Set<string>();
  forEachObject(value, '$.keys', p, true, (k, at) => {
    allowOnly(k, at, ['id', 'publicKey', 'roles', 'notBefore', 'notAfter', 'revoked', 'retired', 'description'], p);
    if (typeof k.id !== 'string' || k.id === '') return void p.push(`${at}.id must be a string`);
    if (ids.has(k.id)) p.push(`${at}.id repeats "${k.id}"`);
    ids.add(k.id);
    const roles = Array.isArray(k.roles) ? k.roles : [];
    if (roles.length === 0 || !roles.every((r) => SIGNER_ROLES.includes(r as SignerRole))) p.push(`${at}.roles must list roles from ${SIGNER_ROLES.join(', ')}`);
    const notBefore = optTime(k.notBefore, `${at}.notBefore`, p);
    const notAfter = optTime(k.notAfter, `${at}.notAfter`, p);
    optionalBoolean(k, 'revoked', at, p);
    optionalBoolean(k, 'retired', at, p);
    if (k.retired === true && !notAfter) p.push(`${at}.retired needs a notAfter: the end of the window its signatures stay valid for`);
    if (typeof k.publicKey !== 'string') return void p.push(`${at}.publicKey must be a path to a PEM public key`);
    const publicKey = readPublicKey(resolve(base, k.publicKey), at, p, files);
    if (!publicKey) return;
    keys.push({
      id: k.id,
      keyId: keyIdOf(publicKey),
      publicKey,
      roles: roles as SignerRole[],
      ...(notBefore && { notBefore }),
      ...(notAfter && { notAfter }),
      revoked: k.revoked === true,
      retired: k.retired === true,
    });
  });
  const seenKeyIds = new Map<string, string>();
  for (const key of keys) {
    const other = seenKeyIds.get(key.keyId);
    if (other) p.push(`keys "${other}" and "${key.id}" are the same public key (compared in one canonical encoding), which would count twice toward a threshold; list it once`);
    seenKeyIds.set(key.keyId, key.id);
  }
  return { keys, ids };
}

/** A key file that others could swap refuses the whole policy; one that cannot be read is a problem of its entry. */
function readPublicKey(keyPath: string, at: string, p: string[], files: TrustFiles): KeyObject | undefined {
  const unsafe = files.problem(keyPath);
  if (unsafe) throw new MigsealError('POLICY_INSECURE', `The trust policy is not safe to use: ${unsafe}.`);
  try {
    return loadPublicKey(files.read(keyPath), keyPath);
  } catch (error) {
    if (error instanceof MigsealError && error.code === 'POLICY_INSECURE') throw error;
    p.push(`${at}.publicKey: ${error instanceof MigsealError ? error.message : `cannot read ${keyPath}`}`);
    return undefined;
  }
}

/** `environments`: at least one, each with its thresholds, expiry, findings and provenance rules. */
function parseEnvironments(value: unknown, p: string[]): Record<string, EnvironmentRule> {
  const environments: Record<string, EnvironmentRule> = Object.create(null);
  if (!isJsonObject(value) || Object.keys(value).length === 0) {
    p.push('$.environments must name at least one environment');
    return environments;
  }
  for (const [name, rule] of Object.entries(value)) {
    const at = `$.environments.${name}`;
    if (!isJsonObject(rule)) p.push(`${at} must be an object`);
    else environments[name] = parseEnvironment(rule, at, p);
  }
  return environments;
}

function parseEnvironment(rule: JsonObject, at: string, p: string[]): EnvironmentRule {
  allowOnly(rule, at, [...ROLES, 'requireExpiry', 'approversDistinctFromRelease', 'findings', 'provenance', 'onDrift', 'pgLockTimeout', 'pgStatementTimeout', 'requireRehearsal', 'requireBackup'], p);
  const thresholds: Partial<Record<Role, number>> = {};
  for (const role of ROLES) {
    const n = rule[role];
    if (n === undefined) continue;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) p.push(`${at}.${role} must be a non-negative integer`);
    else thresholds[role] = n;
  }
  if ((thresholds.release ?? 0) < 1) p.push(`${at}.release must be at least 1: every environment needs a release signature`);
  optionalBoolean(rule, 'requireExpiry', at, p);
  optionalBoolean(rule, 'approversDistinctFromRelease', at, p);
  optionalBoolean(rule, 'requireBackup', at, p);
  const findings = parseFindingsPolicy(rule.findings, `${at}.findings`, p);
  const provenance = parseProvenanceRequirement(rule.provenance, `${at}.provenance`, p);
  if (rule.onDrift !== undefined && rule.onDrift !== 'refuse' && rule.onDrift !== 'warn') p.push(`${at}.onDrift must be "refuse" or "warn"`);
  let requireRehearsal: EnvironmentRule['requireRehearsal'];
  if (rule.requireRehearsal !== undefined) {
    const r = rule.requireRehearsal;
    if (!isJsonObject(r)) p.push(`${at}.requireRehearsal must be an object like { "role": "rehearse" }`);
    else {
      allowOnly(r, `${at}.requireRehearsal`, ['role'], p);
      if (!SIGNER_ROLES.includes(r.role as SignerRole)) p.push(`${at}.requireRehearsal.role must be one of ${SIGNER_ROLES.join(', ')}`);
      else requireRehearsal = { role: r.role as SignerRole };
    }
  }
  const onDrift = rule.onDrift === 'refuse' || rule.onDrift === 'warn' ? rule.onDrift : (thresholds.approve ?? 0) >= 1 ? 'refuse' : 'warn';
  const pgLockTimeoutMs = optDuration(rule.pgLockTimeout, `${at}.pgLockTimeout`, p);
  const pgStatementTimeoutMs = optDuration(rule.pgStatementTimeout, `${at}.pgStatementTimeout`, p);
  return {
    thresholds,
    requireExpiry: rule.requireExpiry === true,
    approversDistinctFromRelease: rule.approversDistinctFromRelease === true,
    ...(findings && { findings }),
    ...(provenance && { provenance }),
    onDrift,
    ...(pgLockTimeoutMs !== undefined && { pgLockTimeoutMs }),
    ...(pgStatementTimeoutMs !== undefined && { pgStatementTimeoutMs }),
    ...(requireRehearsal && { requireRehearsal }),
    ...(rule.requireBackup === true && { requireBackup: true }),
  };
}

function optDuration(v: unknown, at: string, p: string[]): number | undefined {
  if (v === undefined) return undefined;
  const ms = typeof v === 'string' ? parseDuration(v) : undefined;
  if (ms === undefined) p.push(`${at} must be ${DURATION_FORMS} (a string)`);
  return ms;
}

function optTime(v: unknown, at: string, p: string[]): Date | undefined {
  if (v === undefined) return undefined;
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T[0-9:.]+Z$/.test(v) || Number.isNaN(t)) {
    p.push(`${at} must be an RFC 3339 UTC time like 2027-06-30T00:00:00Z`);
    return undefined;
  }
  return new Date(t);
}
