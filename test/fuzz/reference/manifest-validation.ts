/**
 * manifest.json's validation as it was written first, one generic check per field, kept as the
 * reference that the manifest fuzz target holds validateManifest against: both must report the
 * same problems, in the same order, for every input. Not used by migseal itself.
 */
import { isReleaseVersion } from '../../../src/format/release-version.js';
import { SHA256_HEX } from '../../../src/format/digest.js';
import { pathProblem } from '../../../src/format/tar.js';
import { allowOnly, forEachObject, isJsonObject, optionalBoolean, type JsonObject } from '../../../src/format/json-shape.js';
import { DIALECTS, MANIFEST_FORMAT, type Dialect } from '../../../src/format/manifest.js';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@/-]{0,127}$/;

export function referenceValidateManifest(value: unknown): string[] {
  const p: string[] = [];
  if (!isJsonObject(value)) return ['$ is not an object'];
  allowOnly(value, '$', ['format', 'project', 'release', 'dialect', 'layout', 'createdAt', 'expiresAt', 'source', 'builder', 'migrations', 'files', 'findings', 'analysis', 'peerHistory'], p);
  checkRelease(value, p);
  checkSource(value.source, p);
  checkBuilder(value.builder, p);
  const paths = checkFiles(value.files, p);
  checkMigrations(value.migrations, paths, p);
  forEachObject(value.findings, '$.findings', p, true, (f, at) => checkFinding(f, at, p));
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

/** Each file's safe path (once, whatever its case), SHA-256 and size; returns the exact paths, which migrations must name. */
function checkFiles(files: unknown, p: string[]): Set<string> {
  const folded = new Set<string>();
  /** Migrations must name a file exactly: the folded set only detects clashes between files. */
  const exactPaths = new Set<string>();
  forEachObject(files, '$.files', p, true, (f, at) => {
    allowOnly(f, at, ['path', 'sha256', 'size'], p);
    if (typeof f.path !== 'string' || pathProblem(f.path)) p.push(`${at}.path must be a safe relative path`);
    else if (folded.has(f.path.toLowerCase())) p.push(`${at}.path repeats ${f.path}`);
    else {
      folded.add(f.path.toLowerCase());
      exactPaths.add(f.path);
    }
    if (typeof f.sha256 !== 'string' || !SHA256_HEX.test(f.sha256)) p.push(`${at}.sha256 must be 64 lowercase hex digits`);
    if (typeof f.size !== 'number' || !Number.isSafeInteger(f.size) || f.size < 0) p.push(`${at}.size must be a non-negative integer`);
  });
  return exactPaths;
}

/** Each migration's unique version, its up (and down) file among `paths`, and how it runs. */
function checkMigrations(migrations: unknown, paths: ReadonlySet<string>, p: string[]): void {
  const versions = new Set<string>();
  forEachObject(migrations, '$.migrations', p, true, (m, at) => {
    allowOnly(m, at, ['version', 'name', 'up', 'down', 'transactional', 'repeatable', 'runner', 'sections'], p);
    if (typeof m.version !== 'string' || !/^[A-Za-z0-9._-]{1,255}$/.test(m.version)) p.push(`${at}.version must be a version string`);
    else {
      const key = m.repeatable === true ? `R:${m.name}` : m.version;
      if (versions.has(key)) p.push(`${at}.version repeats ${m.version}`);
      versions.add(key);
    }
    if (typeof m.name !== 'string' || m.name.length > 255) p.push(`${at}.name must be a string`);
    if (m.up === undefined) {
      // Only a plain SQL migration with a down file may have an empty up (golang-migrate's down-only version).
      if (m.down === undefined || m.repeatable !== undefined || m.runner !== undefined || m.sections !== undefined) p.push(`${at}.up must name a file in $.files`);
    } else if (typeof m.up !== 'string' || !paths.has(m.up)) p.push(`${at}.up must name a file in $.files`);
    if (m.down !== undefined && (typeof m.down !== 'string' || !paths.has(m.down))) p.push(`${at}.down must name a file in $.files`);
    if (typeof m.transactional !== 'boolean') p.push(`${at}.transactional must be a boolean`);
    optionalBoolean(m, 'repeatable', at, p);
    if (m.runner !== undefined && m.runner !== 'sql' && m.runner !== 'native') p.push(`${at}.runner must be "sql" or "native"`);
    if (m.sections !== undefined && m.sections !== 'dbmate') p.push(`${at}.sections must be "dbmate"`);
  });
}

function checkFinding(f: JsonObject, at: string, p: string[]): void {
  allowOnly(f, at, ['rule', 'severity', 'category', 'file', 'line', 'message', 'statement', 'suppressed', 'dialect', 'direction'], p);
  for (const k of ['rule', 'category', 'file', 'message'] as const) if (typeof f[k] !== 'string') p.push(`${at}.${k} must be a string`);
  if (!['error', 'warning', 'info'].includes(f.severity as string)) p.push(`${at}.severity must be error, warning or info`);
  if (typeof f.line !== 'number' || f.line < 0) p.push(`${at}.line must be a non-negative integer`);
  optString(f.statement, `${at}.statement`, p);
  optString(f.suppressed, `${at}.suppressed`, p);
  if (f.dialect !== undefined && f.dialect !== 'postgres' && f.dialect !== 'sqlite') p.push(`${at}.dialect must be postgres or sqlite`);
  if (f.direction !== undefined && f.direction !== 'down') p.push(`${at}.direction must be "down"`);
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
