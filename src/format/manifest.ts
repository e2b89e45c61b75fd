/**
 * manifest.json: what a release contains and where it came from. The packer writes it as
 * canonical JSON; the verifier parses it only after a signature over its exact bytes has
 * been checked, with the strict parser, and validates every field before use.
 */
import { canonicalJson, decodeUtf8Strict, parseStrictJson, StrictJsonError, type JsonValue } from './strict-json.js';
import { isReleaseVersion } from './release-version.js';
import { SHA256_HEX } from './digest.js';
import { pathProblem } from './tar.js';
import { MigsealError } from '../errors.js';
import { allowOnly, isJsonObject, optionalBoolean, type JsonObject } from './json-shape.js';

export const MANIFEST_FORMAT = 'migseal.manifest/v1';
export const MANIFEST_PATH = 'manifest.json';
/** Migration files live under this folder in the archive; manifest paths are relative to it. */
export const FILES_DIR = 'files/';

export const DIALECTS = ['sqlite', 'postgres', 'mysql', 'any'] as const;
export type Dialect = (typeof DIALECTS)[number];

export interface ManifestFile {
  path: string;
  sha256: string;
  size: number;
}

export interface ManifestMigration {
  /** The layout's own version string, e.g. "20240101000000" or "1.2". */
  version: string;
  name: string;
  /** Absent for a golang-migrate version that has only a down file: its up is empty, as that tool runs it. */
  up?: string;
  down?: string;
  transactional: boolean;
  /** Flyway-style repeatable migration: re-run whenever its checksum changes. */
  repeatable?: boolean;
  /** Only a peer tool can run it (e.g. PHP classes); `apply` refuses, `exec` hands it over. */
  runner?: 'sql' | 'native';
  /** Both directions live in one file, cut by the named tool's markers (see format/migration-script.ts). */
  sections?: 'dbmate';
}

/** Whether apply, rollback and resolve keep the layout's own tool's history table too (signed at pack time). */
export interface PeerHistorySetting {
  tool: 'golang-migrate' | 'dbmate' | 'prisma' | 'diesel' | 'flyway';
  /** `name` or `schema.name`. */
  table: string;
  keep: boolean;
}

export interface ManifestSource {
  repository?: string;
  commit?: string;
  dirty?: boolean;
}

export interface ManifestFinding {
  rule: string;
  severity: 'error' | 'warning' | 'info';
  category: string;
  file: string;
  line: number;
  message: string;
  statement?: string;
  suppressed?: string;
  /** The dialect whose analysis found it, when the bundle was analysed for several (a bundle marked "any"). */
  dialect?: 'postgres' | 'sqlite';
  /** "down" for a finding in a down script, which only rollback judges; absent for up scripts. */
  direction?: 'down';
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  project: string;
  release: string;
  dialect: Dialect;
  layout: string;
  createdAt: string;
  expiresAt?: string;
  source: ManifestSource;
  builder: { id: string };
  migrations: ManifestMigration[];
  files: ManifestFile[];
  findings: ManifestFinding[];
  /**
   * The analysis that produced the findings. `dialects` lists every dialect it covered when
   * there are several (a bundle marked "any"); otherwise `dialect` is the only one.
   */
  analysis?: { tool: string; dialect: string; dialects?: string[] };
  peerHistory?: PeerHistorySetting;
}

export function serializeManifest(manifest: Manifest): Buffer {
  return Buffer.from(canonicalJson(manifest), 'utf8');
}

/** Parses and validates manifest bytes; every problem is reported, then the type is narrowed. */
export function parseManifest(bytes: Buffer): Manifest {
  let value: JsonValue;
  try {
    value = parseStrictJson(decodeUtf8Strict(bytes));
  } catch (error) {
    if (error instanceof StrictJsonError) throw new MigsealError('MANIFEST_MALFORMED', `The manifest is not strict JSON: ${error.message}.`, { cause: error });
    throw error;
  }
  const problems = validateManifest(value);
  if (problems.length > 0) {
    throw new MigsealError('MANIFEST_INVALID', `The manifest is invalid: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}.`, {
      details: { problems },
    });
  }
  return value as unknown as Manifest;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@/-]{0,127}$/;

export function validateManifest(value: unknown): string[] {
  const p: string[] = [];
  if (!isJsonObject(value)) return ['$ is not an object'];
  allowOnly(value, '$', ['format', 'project', 'release', 'dialect', 'layout', 'createdAt', 'expiresAt', 'source', 'builder', 'migrations', 'files', 'findings', 'analysis', 'peerHistory'], p);
  checkRelease(value, p);
  checkSource(value.source, p);
  checkBuilder(value.builder, p);
  const paths = checkFiles(value.files, p);
  checkMigrations(value.migrations, paths, p);
  checkFindings(value.findings, p);
  checkAnalysis(value.analysis, p);
  checkPeerHistory(value.peerHistory, p);
  return p;
}

/** What the release is: format, project, release version, dialect, layout, and when. */
function checkRelease(value: JsonObject, p: string[]): void {
  if (value.format !== MANIFEST_FORMAT) p.push(`$.format must be "${MANIFEST_FORMAT}"`);
  if (typeof value.project !== 'string' || !NAME.test(value.project)) p.push('$.project must be a project name');
  if (typeof value.release !== 'string' || !isReleaseVersion(value.release)) p.push('$.release must be a release version like 42 or 2026.11.3');
  if (!DIALECTS.includes(value.dialect as Dialect)) p.push(`$.dialect must be one of ${DIALECTS.join(', ')}`);
  if (typeof value.layout !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(value.layout)) p.push('$.layout must be a layout name');
  isTime(value.createdAt, '$.createdAt', p);
  if (value.expiresAt !== undefined) isTime(value.expiresAt, '$.expiresAt', p);
}

function checkSource(source: unknown, p: string[]): void {
  if (!isJsonObject(source)) return void p.push('$.source must be an object');
  allowOnly(source, '$.source', ['repository', 'commit', 'dirty'], p);
  optString(source.repository, '$.source.repository', p);
  if (source.commit !== undefined && (typeof source.commit !== 'string' || !/^[0-9a-f]{7,64}$/.test(source.commit))) p.push('$.source.commit must be a hex commit id');
  optionalBoolean(source, 'dirty', '$.source', p);
}

function checkBuilder(builder: unknown, p: string[]): void {
  if (!isJsonObject(builder) || typeof builder.id !== 'string' || builder.id === '') p.push('$.builder.id must be a string');
  else allowOnly(builder, '$.builder', ['id'], p);
}

/*
 * The three long arrays (files, migrations, findings: thousands of entries each in a large
 * release) are checked in plain indexed loops, and the JSON path of an entry is written only
 * when it has a problem: this runs once per verification, mostly before the engine has
 * optimized it, and building a path string and a closure per entry cost as much as the checks.
 * The problems, and their order, are exactly those of one check per field in field order.
 */

const FILE_FIELDS: ReadonlySet<string> = new Set(['path', 'sha256', 'size']);
const MIGRATION_FIELDS: ReadonlySet<string> = new Set(['version', 'name', 'up', 'down', 'transactional', 'repeatable', 'runner', 'sections']);
const FINDING_FIELDS: ReadonlySet<string> = new Set(['rule', 'severity', 'category', 'file', 'line', 'message', 'statement', 'suppressed', 'dialect', 'direction']);
const VERSION = /^[A-Za-z0-9._-]{1,255}$/;

/** Reports each field of the entry `${at}[${i}]` that is not one of `known`. */
function unknownFields(entry: JsonObject, known: ReadonlySet<string>, at: string, i: number, p: string[]): void {
  const keys = Object.keys(entry);
  for (let k = 0; k < keys.length; k++) if (!known.has(keys[k]!)) p.push(`${at}[${i}].${keys[k]} is not a known field`);
}

/** The entries of the required array field `value` at `at`, or undefined (reported) when it is not an array. */
function requiredArray(value: unknown, at: string, p: string[]): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  p.push(`${at} must be an array`);
  return undefined;
}

/** Each file's safe path (once, whatever its case), SHA-256 and size; returns the exact paths, which migrations must name. */
function checkFiles(value: unknown, p: string[]): Set<string> {
  const folded = new Set<string>();
  /** Migrations must name a file exactly: the folded set only detects clashes between files. */
  const exactPaths = new Set<string>();
  const files = requiredArray(value, '$.files', p);
  for (let i = 0; files !== undefined && i < files.length; i++) {
    const f = files[i];
    if (!isJsonObject(f)) {
      p.push(`$.files[${i}] must be an object`);
      continue;
    }
    unknownFields(f, FILE_FIELDS, '$.files', i, p);
    const path = f.path;
    if (typeof path !== 'string' || pathProblem(path)) p.push(`$.files[${i}].path must be a safe relative path`);
    else {
      const lower = path.toLowerCase();
      if (folded.has(lower)) p.push(`$.files[${i}].path repeats ${path}`);
      else {
        folded.add(lower);
        exactPaths.add(path);
      }
    }
    if (typeof f.sha256 !== 'string' || !SHA256_HEX.test(f.sha256)) p.push(`$.files[${i}].sha256 must be 64 lowercase hex digits`);
    if (typeof f.size !== 'number' || !Number.isSafeInteger(f.size) || f.size < 0) p.push(`$.files[${i}].size must be a non-negative integer`);
  }
  return exactPaths;
}

/** Each migration's unique version, its up (and down) file among `paths`, and how it runs. */
function checkMigrations(value: unknown, paths: ReadonlySet<string>, p: string[]): void {
  const versions = new Set<string>();
  const migrations = requiredArray(value, '$.migrations', p);
  for (let i = 0; migrations !== undefined && i < migrations.length; i++) {
    const m = migrations[i];
    if (!isJsonObject(m)) {
      p.push(`$.migrations[${i}] must be an object`);
      continue;
    }
    unknownFields(m, MIGRATION_FIELDS, '$.migrations', i, p);
    if (typeof m.version !== 'string' || !VERSION.test(m.version)) p.push(`$.migrations[${i}].version must be a version string`);
    else {
      const key = m.repeatable === true ? `R:${m.name}` : m.version;
      if (versions.has(key)) p.push(`$.migrations[${i}].version repeats ${m.version}`);
      versions.add(key);
    }
    if (typeof m.name !== 'string' || m.name.length > 255) p.push(`$.migrations[${i}].name must be a string`);
    if (m.up === undefined) {
      // Only a plain SQL migration with a down file may have an empty up (golang-migrate's down-only version).
      if (m.down === undefined || m.repeatable !== undefined || m.runner !== undefined || m.sections !== undefined) p.push(`$.migrations[${i}].up must name a file in $.files`);
    } else if (typeof m.up !== 'string' || !paths.has(m.up)) p.push(`$.migrations[${i}].up must name a file in $.files`);
    if (m.down !== undefined && (typeof m.down !== 'string' || !paths.has(m.down))) p.push(`$.migrations[${i}].down must name a file in $.files`);
    if (typeof m.transactional !== 'boolean') p.push(`$.migrations[${i}].transactional must be a boolean`);
    if (m.repeatable !== undefined && typeof m.repeatable !== 'boolean') p.push(`$.migrations[${i}].repeatable must be a boolean`);
    if (m.runner !== undefined && m.runner !== 'sql' && m.runner !== 'native') p.push(`$.migrations[${i}].runner must be "sql" or "native"`);
    if (m.sections !== undefined && m.sections !== 'dbmate') p.push(`$.migrations[${i}].sections must be "dbmate"`);
  }
}

function checkFindings(value: unknown, p: string[]): void {
  const findings = requiredArray(value, '$.findings', p);
  for (let i = 0; findings !== undefined && i < findings.length; i++) {
    const f = findings[i];
    if (!isJsonObject(f)) {
      p.push(`$.findings[${i}] must be an object`);
      continue;
    }
    unknownFields(f, FINDING_FIELDS, '$.findings', i, p);
    if (typeof f.rule !== 'string') p.push(`$.findings[${i}].rule must be a string`);
    if (typeof f.category !== 'string') p.push(`$.findings[${i}].category must be a string`);
    if (typeof f.file !== 'string') p.push(`$.findings[${i}].file must be a string`);
    if (typeof f.message !== 'string') p.push(`$.findings[${i}].message must be a string`);
    if (f.severity !== 'error' && f.severity !== 'warning' && f.severity !== 'info') p.push(`$.findings[${i}].severity must be error, warning or info`);
    if (typeof f.line !== 'number' || f.line < 0) p.push(`$.findings[${i}].line must be a non-negative integer`);
    if (f.statement !== undefined && typeof f.statement !== 'string') p.push(`$.findings[${i}].statement must be a string`);
    if (f.suppressed !== undefined && typeof f.suppressed !== 'string') p.push(`$.findings[${i}].suppressed must be a string`);
    if (f.dialect !== undefined && f.dialect !== 'postgres' && f.dialect !== 'sqlite') p.push(`$.findings[${i}].dialect must be postgres or sqlite`);
    if (f.direction !== undefined && f.direction !== 'down') p.push(`$.findings[${i}].direction must be "down"`);
  }
}

function checkAnalysis(analysis: unknown, p: string[]): void {
  if (analysis === undefined) return;
  if (!isJsonObject(analysis) || typeof analysis.tool !== 'string' || typeof analysis.dialect !== 'string') p.push('$.analysis must name a tool and a dialect');
  else {
    allowOnly(analysis, '$.analysis', ['tool', 'dialect', 'dialects'], p);
    const ds = analysis.dialects;
    if (ds !== undefined && (!Array.isArray(ds) || ds.length === 0 || ds.some((d) => d !== 'postgres' && d !== 'sqlite'))) p.push('$.analysis.dialects must list postgres or sqlite');
  }
}

function checkPeerHistory(h: unknown, p: string[]): void {
  if (h === undefined) return;
  if (!isJsonObject(h)) return void p.push('$.peerHistory must be an object');
  allowOnly(h, '$.peerHistory', ['tool', 'table', 'keep'], p);
  if (!['golang-migrate', 'dbmate', 'prisma', 'diesel', 'flyway'].includes(h.tool as string)) p.push('$.peerHistory.tool must be golang-migrate, dbmate, prisma, diesel or flyway');
  if (typeof h.table !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/.test(h.table)) p.push('$.peerHistory.table must be a table name');
  if (typeof h.keep !== 'boolean') p.push('$.peerHistory.keep must be a boolean');
}

function optString(v: unknown, at: string, p: string[]): void {
  if (v !== undefined && typeof v !== 'string') p.push(`${at} must be a string`);
}

function isTime(v: unknown, at: string, p: string[]): void {
  if (typeof v !== 'string' || !ISO_TIME.test(v) || Number.isNaN(Date.parse(v))) p.push(`${at} must be an RFC 3339 UTC time`);
}
