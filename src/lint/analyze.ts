/**
 * The analysis: parses every migration script in the order a host runs them (up scripts in
 * order, then down scripts newest first, as a rollback runs them), applies the dialect's
 * rules, attaches suppression directives, and returns findings ready for the manifest.
 * Down scripts are analysed like up scripts; their findings say `direction: "down"`, and
 * only rollback judges them.
 */
import type { ManifestMigration } from '../format/manifest.js';
import { migrationScript } from '../format/migration-script.js';
import { checkPostgres, type PgFileState } from './pg/checks.js';
import { SchemaModel } from './pg/column-types.js';
import { checkSqlite } from './sqlite/checks.js';
import { parseAhead, parseStatements } from './parse.js';
import { readDirectives } from './suppress.js';
import { categoryOf, ruleById } from '../format/finding-rules.js';
import { excerpt } from './source-text.js';
import { MigsealError } from '../errors.js';
import type { Finding, Hit, LintDialect, Statement } from './types.js';

export const ANALYSIS_TOOL = 'migseal-lint/2';

export interface AnalysisInput {
  migrations: readonly ManifestMigration[];
  read(path: string): Buffer;
  dialect: LintDialect;
  /**
   * Only the scripts from `from` up to `to` of analysisOrder (all of them by default), for a
   * dialect whose analysis may be split so (see splittable).
   */
  part?: { from: number; to: number };
  /** The reading state the first script is read in; left as the last one leaves it. */
  reading?: ReadingState;
}

/**
 * What one script leaves behind for the scripts after it: a statement that changed how the
 * server reads SQL text makes everything after it unreadable to a static reader.
 */
export interface ReadingState {
  changedAt?: string;
}

/** The order scripts are analysed in: up scripts in order, then down scripts newest first; native migrations have none. */
export function analysisOrder(migrations: readonly ManifestMigration[]): Array<readonly [ManifestMigration, 'up' | 'down']> {
  const runnable = migrations.filter((m) => m.runner !== 'native');
  return [...runnable.filter((m) => m.up !== undefined).map((m) => [m, 'up'] as const), ...[...runnable].reverse().filter((m) => m.down !== undefined).map((m) => [m, 'down'] as const)];
}

/**
 * Whether a dialect's analysis carries nothing from one script to the next but the reading
 * state, so that its scripts may be analysed in parts, each part's findings the same as in one
 * run: SQLite's. PostgreSQL's up scripts also carry the schema they make (column types).
 */
export function splittable(dialect: LintDialect): boolean {
  return dialect === 'sqlite';
}

export function analyzeMigrations(input: AnalysisInput): Finding[] {
  const schema = new SchemaModel();
  const reading: ReadingState = input.reading ?? {};
  const findings: Finding[] = [];
  const all = analysisOrder(input.migrations);
  if (input.part && !splittable(input.dialect)) throw new MigsealError('INTERNAL', `The ${input.dialect} analysis cannot be split into parts.`);
  const scripts = input.part ? all.slice(input.part.from, input.part.to) : all;
  const texts = scripts.map(([migration, direction]) => {
    const path = (direction === 'up' ? migration.up : migration.down)!;
    const data = input.read(path);
    const script = migrationScript(migration, direction, new Map([[path, data]]));
    const skipped = script.buffer === data.buffer ? data.subarray(0, script.byteOffset - data.byteOffset) : Buffer.alloc(0);
    return { path, text: script.toString('utf8'), lineOffset: skipped.reduce((n, byte) => n + (byte === 10 ? 1 : 0), 0) };
  });
  scripts.forEach(([migration, direction], i) => {
    if (i % PARSE_AHEAD === 0) parseAhead(texts.slice(i, i + PARSE_AHEAD).map((t) => t.text), input.dialect);
    const { path, text, lineOffset } = texts[i]!;
    // A down script works on what the up scripts made, but its own changes are not the folder's schema.
    const model = direction === 'up' ? schema : new SchemaModel();
    const found = analyzeFile(path, text, migration.transactional, input.dialect, model, lineOffset, reading);
    findings.push(...(direction === 'down' ? found.map((f) => ({ ...f, direction: 'down' as const })) : found));
  });
  return findings;
}

/** Scripts parsed together ahead of their analysis (see parseAhead). */
const PARSE_AHEAD = 64;

export function analyzeFile(file: string, text: string, transactional: boolean, dialect: LintDialect, schema = new SchemaModel(), lineOffset = 0, reading: ReadingState = {}): Finding[] {
  const statements = parseStatements(text, dialect);
  const { byStatement, problems } = readDirectives(text, statements);
  const pgState: PgFileState = { transactional, created: new Set(), lockTimeout: false, lockTimeoutReported: false };
  const out: Finding[] = [];
  let readAfterReported = false;
  statements.forEach((stmt, i) => {
    const hits: Hit[] =
      stmt.error !== undefined
        ? [{ rule: 'parse/unreadable-statement', statement: stmt, detail: stmt.error }]
        : dialect === 'postgres'
          ? checkPostgres(stmt, pgState, schema)
          : checkSqlite(stmt, { transactional });
    if (reading.changedAt !== undefined && !readAfterReported) {
      readAfterReported = true;
      hits.unshift({ rule: 'parse/read-after-tokenizer-setting', statement: stmt, detail: `the setting changed at ${reading.changedAt}` });
    }
    const changed = hits.some((h) => h.rule === 'parse/tokenizer-setting');
    // Every later statement is read by the server under the changed setting: the next one here, and each later script, says so.
    if (changed && reading.changedAt === undefined) reading.changedAt = `${file} line ${stmt.line + lineOffset}`;
    for (const hit of hits) {
      const directive = byStatement[i]!.find((d) => d.rules.includes(hit.rule));
      if (directive) directive.used = true;
      out.push(toFinding(file, hit, directive?.reason));
    }
  });
  for (const hit of problems) out.push(toFinding(file, hit));
  byStatement.forEach((directives, i) => {
    for (const d of directives) if (!d.used) out.push(toFinding(file, { rule: 'parse/unused-directive', statement: { ...(statements[i] as Statement), line: d.line }, detail: d.rules.join(', ') }));
  });
  for (const f of out) f.line += lineOffset;
  return out.sort((a, b) => a.line - b.line);
}

function toFinding(file: string, hit: Hit, suppressed?: string): Finding {
  const rule = ruleById(hit.rule);
  return {
    rule: rule.id,
    severity: rule.severity,
    category: categoryOf(rule.id),
    file,
    line: hit.statement.line,
    message: hit.detail ? `${rule.message} (${oneLine(hit.detail)})` : rule.message,
    statement: excerpt(hit.statement.text),
    ...(suppressed !== undefined && { suppressed }),
  };
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
}

/**
 * Unsuppressed error findings in up scripts: what makes lint fail. A down script's findings
 * are reported, but undoing a migration is destructive by design; the host's policy judges
 * them when a rollback runs.
 */
export function blockingFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'error' && f.suppressed === undefined && f.direction !== 'down');
}
