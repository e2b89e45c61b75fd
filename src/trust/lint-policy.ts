/**
 * Lints a trust policy before a host relies on it: files writable by group or others,
 * keys and certificates that cannot be read, repeated ids, and thresholds that the
 * signers the policy names can never meet. Reports every problem; never throws for them.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { MigsealError } from '../errors.js';
import { decodeUtf8Strict, parseStrictJson } from '../format/strict-json.js';
import { ROLES, type Role } from '../format/statement.js';
import { permissionProblems } from './file-permissions.js';
import { loadTrustPolicy } from './policy.js';
import { isJsonObject, type JsonObject } from '../format/json-shape.js';

export type LintKind = 'insecure-permissions' | 'unreadable' | 'invalid' | 'duplicate-id' | 'threshold-unreachable';

export interface LintProblem {
  kind: LintKind;
  message: string;
}

const list = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);

export function lintTrustPolicy(path: string, now = new Date()): LintProblem[] {
  const problems: LintProblem[] = [];
  const add = (kind: LintKind, message: string) => {
    if (!problems.some((p) => p.message === message)) problems.push({ kind, message });
  };
  const absolute = resolve(path);
  const base = dirname(absolute);
  for (const problem of permissionProblems(absolute)) add('insecure-permissions', problem);
  let raw: unknown;
  try {
    raw = parseStrictJson(decodeUtf8Strict(readFileSync(absolute)));
  } catch (error) {
    add('unreadable', `cannot read ${path} as strict JSON: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    return problems;
  }
  if (!isJsonObject(raw)) return [...problems, { kind: 'invalid', message: `${path} is not a JSON object` }];

  // Every file the policy names must be safe and readable.
  const files = [
    ...list(raw.keys).map((k) => ({ owner: `key "${String(k.id)}"`, file: k.publicKey })),
    ...list(raw.cas).map((c) => ({ owner: `CA "${String(c.id)}"`, file: c.certificate ?? c.trustedRoot })),
    ...list(raw.timestampAuthorities).flatMap((t) => (Array.isArray(t.certificates) ? t.certificates : []).map((file) => ({ owner: `timestamp authority "${String(t.id)}"`, file }))),
  ];
  for (const { owner, file } of files) {
    if (typeof file !== 'string') continue;
    const full = resolve(base, file);
    for (const problem of permissionProblems(full)) add('insecure-permissions', problem);
    try {
      readFileSync(full);
    } catch (error) {
      add('unreadable', `${owner}: cannot read ${full} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }

  // Ids must be unique across keys, identities and CAs of each kind.
  const seen = new Set<string>();
  for (const entry of [...list(raw.keys), ...list(raw.identities)]) {
    if (typeof entry.id !== 'string') continue;
    if (seen.has(entry.id)) add('duplicate-id', `the id "${entry.id}" is used more than once among keys and identities`);
    seen.add(entry.id);
  }
  const caIds = new Set<string>();
  for (const ca of list(raw.cas)) {
    if (typeof ca.id !== 'string') continue;
    if (caIds.has(ca.id)) add('duplicate-id', `the CA id "${ca.id}" is used more than once`);
    caIds.add(ca.id);
  }

  // Everything else the loader checks (fields, key formats, certificates), unless permissions already stop it.
  if (!problems.some((p) => p.kind === 'insecure-permissions')) {
    try {
      loadTrustPolicy(absolute);
    } catch (error) {
      if (!(error instanceof MigsealError)) throw error;
      const details = (error.details?.problems as string[] | undefined) ?? [error.message];
      for (const d of details) if (!problems.some((p) => d.includes(p.message))) add(error.code === 'POLICY_INSECURE' ? 'insecure-permissions' : 'invalid', d);
    }
  }

  for (const problem of unreachableThresholds(raw, base, now)) add('threshold-unreachable', problem);
  return problems;
}

// Signers that can sign new releases in a role today: not revoked, not retired or expired, file readable.
function eligible(raw: JsonObject, base: string, role: Role, now: Date): Set<string> {
  const out = new Set<string>();
  const usable = (e: JsonObject) => e.revoked !== true && e.retired !== true && Array.isArray(e.roles) && e.roles.includes(role) && !(typeof e.notAfter === 'string' && Date.parse(e.notAfter) < now.getTime()) && !(typeof e.notBefore === 'string' && Date.parse(e.notBefore) > now.getTime());
  for (const k of list(raw.keys)) {
    if (!usable(k) || typeof k.publicKey !== 'string') continue;
    try {
      readFileSync(resolve(base, k.publicKey));
      out.add(`key:${String(k.id)}`);
    } catch {
      /* reported above */
    }
  }
  const expiredCas = new Set(list(raw.cas).filter((c) => typeof c.certificate === 'string' && caExpired(resolve(base, c.certificate), now)).map((c) => c.id));
  for (const i of list(raw.identities)) if (usable(i) && !expiredCas.has(i.ca)) out.add(`identity:${String(i.id)}`);
  return out;
}

function unreachableThresholds(raw: JsonObject, base: string, now: Date): string[] {
  const out: string[] = [];
  if (!isJsonObject(raw.environments)) return out;
  const byRole = Object.fromEntries(ROLES.map((r) => [r, eligible(raw, base, r, now)])) as Record<Role, Set<string>>;
  for (const [name, rule] of Object.entries(raw.environments)) {
    if (!isJsonObject(rule)) continue;
    const need = (r: Role) => (typeof rule[r] === 'number' ? (rule[r] as number) : 0);
    for (const role of ROLES) {
      if (need(role) > byRole[role].size) {
        out.push(`environment "${name}" needs ${need(role)} ${role} signers, but only ${byRole[role].size} usable key(s) or identit(ies) hold that role`);
      }
    }
    if (rule.approversDistinctFromRelease === true) {
      const union = new Set([...byRole.release, ...byRole.approve]).size;
      if (need('release') + need('approve') > union && need('release') <= byRole.release.size && need('approve') <= byRole.approve.size) {
        out.push(`environment "${name}" needs ${need('release')} release signer(s) and ${need('approve')} different approver(s), but only ${union} distinct usable signer(s) hold those roles`);
      }
    }
    // Only a certificate identity can be the builder that signed a provenance: keys vouch for none.
    if (isJsonObject(rule.provenance) && rule.provenance.builderIsSigner === true && ![...byRole.release].some((s) => s.startsWith('identity:'))) {
      out.push(`environment "${name}" requires a provenance signed by its builder's certificate identity, but no usable identity holds the release role`);
    }
  }
  return out;
}

// A CA certificate that has expired can no longer vouch for new signatures.
function caExpired(path: string, now: Date): boolean {
  try {
    return Date.parse(new X509Certificate(readFileSync(path)).validTo) < now.getTime();
  } catch {
    return false; // unreadable files are reported on their own
  }
}
