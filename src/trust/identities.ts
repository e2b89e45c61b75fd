/**
 * The certificate side of the trust policy: which authorities issue signing certificates
 * ("cas") and which certificate identities may sign, in which roles ("identities").
 * Identity and issuer match exactly; a pattern is an explicit opt-in, always anchored.
 */
import { resolve } from 'node:path';
import { X509Certificate } from '@sigstore/core';
import { TrustedRoot, type CertificateAuthority } from '@sigstore/protobuf-specs';
import { MigsealError } from '../errors.js';
import { SIGNER_ROLES, type SignerRole } from '../format/statement.js';
import type { SignerAuthority, ValidityAt } from './signer-authority.js';
import { DISK_TRUST_FILES, type TrustFiles } from './file-permissions.js';
import { loadTrustedRootFile, PUBLIC_GOOD, publicGoodTrustedRoot } from './sigstore-root.js';
import { allowOnly, forEachObject, optionalBoolean, type JsonObject } from '../format/json-shape.js';

export interface TrustedIdentity {
  id: string;
  authority: SignerAuthority;
  identity?: string;
  identityPattern?: RegExp;
  issuer: string;
  roles: SignerRole[];
  validityAt: ValidityAt;
  notBefore?: Date;
  notAfter?: Date;
  revoked: boolean;
}

const VALIDITY: readonly ValidityAt[] = ['trusted-time', 'verification-time'];

/** Compiles a policy pattern so that it must match the whole identity: ^(?:pattern)$. */
export function compileIdentityPattern(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

/** Reads `cas` and `identities`; pushes every problem into `p`. Times are parsed by the caller's `time`. */
export function parseIdentities(
  raw: JsonObject,
  base: string,
  p: string[],
  time: (v: unknown, at: string) => Date | undefined,
  files: TrustFiles = DISK_TRUST_FILES,
): { authorities: Map<string, SignerAuthority>; identities: TrustedIdentity[]; timestampAuthorities: CertificateAuthority[] } {
  const timestampAuthorities = parseTimestampAuthorities(raw, base, p, files);
  const authorities = parseCas(raw.cas, base, timestampAuthorities, p, files);
  const identities: TrustedIdentity[] = [];
  forEachObject(raw.identities, '$.identities', p, false, (entry, at) => {
    const identity = parseIdentity(entry, at, authorities, p, time);
    if (identity) identities.push(identity);
  });
  return { authorities, identities, timestampAuthorities };
}

/** `cas`: each a CA certificate (PEM) or a Sigstore trusted_root.json, by id. */
function parseCas(value: unknown, base: string, timestampAuthorities: CertificateAuthority[], p: string[], files: TrustFiles): Map<string, SignerAuthority> {
  const authorities = new Map<string, SignerAuthority>();
  forEachObject(value, '$.cas', p, false, (ca, at) => {
    allowOnly(ca, at, ['id', 'certificate', 'trustedRoot', 'description'], p);
    if (typeof ca.id !== 'string' || ca.id === '') return void p.push(`${at}.id must be a string`);
    if (ca.id === PUBLIC_GOOD || authorities.has(ca.id)) return void p.push(`${at}.id repeats "${ca.id}"${ca.id === PUBLIC_GOOD ? ' (a built-in authority)' : ''}`);
    if ((typeof ca.certificate === 'string') === (typeof ca.trustedRoot === 'string')) return void p.push(`${at} must name either a certificate (PEM) or a trustedRoot (Sigstore trusted_root.json)`);
    const path = resolve(base, (ca.certificate ?? ca.trustedRoot) as string);
    const unsafe = files.problem(path);
    if (unsafe) throw new MigsealError('POLICY_INSECURE', `The trust policy is not safe to use: ${unsafe}.`);
    try {
      if (typeof ca.trustedRoot === 'string') authorities.set(ca.id, { kind: 'sigstore', id: ca.id, trustedRoot: loadTrustedRootFile(path, files) });
      else authorities.set(ca.id, { kind: 'ca', id: ca.id, certificate: readCaCertificate(path, files), timestampAuthorities });
    } catch (error) {
      if (error instanceof MigsealError && error.code === 'POLICY_INSECURE') throw error;
      p.push(`${at}: ${error instanceof MigsealError ? error.message : `cannot read ${path}`}`);
    }
  });
  return authorities;
}

/** One entry of `identities`: an exact identity (or an anchored pattern) and issuer, from one authority, in some roles. */
function parseIdentity(
  entry: JsonObject,
  at: string,
  authorities: ReadonlyMap<string, SignerAuthority>,
  p: string[],
  time: (v: unknown, at: string) => Date | undefined,
): TrustedIdentity | undefined {
  const known = ['id', 'ca', 'identity', 'identityPattern', 'issuer', 'roles', 'validityAt', 'notBefore', 'notAfter', 'revoked', 'description'];
  allowOnly(entry, at, known, p);
  if (typeof entry.id !== 'string' || entry.id === '') return void p.push(`${at}.id must be a string`);
  const roles = Array.isArray(entry.roles) ? entry.roles : [];
  if (roles.length === 0 || !roles.every((r) => SIGNER_ROLES.includes(r as SignerRole))) p.push(`${at}.roles must list roles from ${SIGNER_ROLES.join(', ')}`);
  if (typeof entry.issuer !== 'string' || !entry.issuer) p.push(`${at}.issuer must be the exact OIDC issuer URL`);
  if ((typeof entry.identity === 'string') === (typeof entry.identityPattern === 'string')) p.push(`${at} must have exactly one of identity (exact) or identityPattern (anchored regular expression)`);
  let pattern: RegExp | undefined;
  if (typeof entry.identityPattern === 'string') {
    try {
      pattern = compileIdentityPattern(entry.identityPattern);
    } catch {
      p.push(`${at}.identityPattern is not a valid regular expression`);
    }
  }
  if (entry.validityAt !== undefined && !VALIDITY.includes(entry.validityAt as ValidityAt)) p.push(`${at}.validityAt must be one of ${VALIDITY.join(', ')}`);
  optionalBoolean(entry, 'revoked', at, p);
  const notBefore = time(entry.notBefore, `${at}.notBefore`);
  const notAfter = time(entry.notAfter, `${at}.notAfter`);
  const authority = typeof entry.ca === 'string' ? (entry.ca === PUBLIC_GOOD ? publicGood() : authorities.get(entry.ca)) : undefined;
  if (!authority) return void p.push(`${at}.ca must name an entry of $.cas or "${PUBLIC_GOOD}"`);
  if (authority.kind === 'sigstore' && entry.validityAt === 'verification-time') p.push(`${at}.validityAt: a Sigstore authority always checks certificates at the transparency log's time`);
  return {
    id: entry.id,
    authority,
    ...(typeof entry.identity === 'string' && { identity: entry.identity }),
    ...(pattern && { identityPattern: pattern }),
    issuer: String(entry.issuer),
    roles: roles as SignerRole[],
    validityAt: (entry.validityAt as ValidityAt | undefined) ?? 'trusted-time',
    ...(notBefore && { notBefore }),
    ...(notAfter && { notAfter }),
    revoked: entry.revoked === true,
  };
}

/** `timestampAuthorities`: RFC 3161 authorities whose timestamps are trusted times, each a chain leaf first. */
function parseTimestampAuthorities(raw: JsonObject, base: string, p: string[], trustFiles: TrustFiles): CertificateAuthority[] {
  const entries: unknown[] = [];
  forEachObject(raw.timestampAuthorities, '$.timestampAuthorities', p, false, (tsa, at) => {
    allowOnly(tsa, at, ['id', 'certificates', 'description'], p);
    if (typeof tsa.id !== 'string' || tsa.id === '') return void p.push(`${at}.id must be a string`);
    const files = Array.isArray(tsa.certificates) && tsa.certificates.length > 0 && tsa.certificates.every((c) => typeof c === 'string') ? (tsa.certificates as string[]) : undefined;
    if (!files) return void p.push(`${at}.certificates must list PEM files: the authority's certificate first, then its issuers up to the root`);
    try {
      const chain = files.map((file) => {
        const path = resolve(base, file);
        const unsafe = trustFiles.problem(path);
        if (unsafe) throw new MigsealError('POLICY_INSECURE', `The trust policy is not safe to use: ${unsafe}.`);
        return pemCertificate(path, trustFiles);
      });
      entries.push({
        subject: { organization: tsa.id, commonName: tsa.id },
        uri: '',
        certChain: { certificates: chain.map((c) => ({ rawBytes: c.der.toString('base64') })) },
        validFor: { start: chain[0]!.cert.notBefore.toISOString(), end: chain[0]!.cert.notAfter.toISOString() },
      });
    } catch (error) {
      if (error instanceof MigsealError && error.code === 'POLICY_INSECURE') throw error;
      p.push(`${at}: ${error instanceof MigsealError ? error.message : 'cannot read its certificates'}`);
    }
  });
  if (entries.length === 0) return [];
  return TrustedRoot.fromJSON({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: entries }).timestampAuthorities;
}

function pemCertificate(path: string, files: TrustFiles): { cert: X509Certificate; der: Buffer } {
  const pem = files.read(path).toString('utf8');
  const body = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem)?.[1];
  const invalid = (cause?: unknown) => new MigsealError('POLICY_INVALID', `The file ${path} is not a PEM certificate.`, cause === undefined ? {} : { cause });
  if (!body) throw invalid();
  const der = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  try {
    return { cert: X509Certificate.parse(der), der };
  } catch (error) {
    throw invalid(error);
  }
}

function publicGood(): SignerAuthority {
  return { kind: 'sigstore', id: PUBLIC_GOOD, trustedRoot: publicGoodTrustedRoot() };
}

function readCaCertificate(path: string, files: TrustFiles): X509Certificate {
  const { cert } = pemCertificate(path, files);
  if (!cert.isCA) throw new MigsealError('POLICY_INVALID', `The certificate ${path} is not a CA certificate (basic constraints and keyCertSign).`);
  return cert;
}
