/**
 * The analysis: parses every up migration in order, applies the dialect's rules, attaches
 * suppression directives, and returns findings ready for the manifest. Down scripts are
 * not analysed: undoing a migration is destructive by design and is its own decision.
 */
import type { ManifestMigration } from '../format/manifest.js';
import { migrationScript } from '../format/migration-script.js';
import { checkPostgres, type PgFileState } from './pg/checks.js';
import { SchemaModel } from './pg/column-types.js';
import { checkSqlite } from './sqlite/checks.js';
import { parseStatements } from './parse.js';
import { readDirectives } from './suppress.js';
import { categoryOf, ruleById } from './rules.js';
import { excerpt } from './source-text.js';
import type { Finding, Hit, LintDialect, Statement } from './types.js';

export const ANALYSIS_TOOL = 'migseal-lint/1';

export interface AnalysisInput {
  migrations: readonly ManifestMigration[];
  read(path: string): Buffer;
  dialect: LintDialect;
}

export function analyzeMigrations(input: AnalysisInput): Finding[] {
  const schema = new SchemaModel();
  const findings: Finding[] = [];
  for (const migration of input.migrations) {
    if (migration.runner === 'native') continue;
    const data = input.read(migration.up);
    const script = migrationScript(migration, 'up', new Map([[migration.up, data]]));
    const skipped = script.buffer === data.buffer ? data.subarray(0, script.byteOffset - data.byteOffset) : Buffer.alloc(0);
    const lineOffset = skipped.reduce((n, byte) => n + (byte === 10 ? 1 : 0), 0);
    findings.push(...analyzeFile(migration.up, script.toString('utf8'), migration.transactional, input.dialect, schema, lineOffset));
  }
  return findings;
}

export function analyzeFile(file: string, text: string, transactional: boolean, dialect: LintDialect, schema = new SchemaModel(), lineOffset = 0): Finding[] {
  const statements = parseStatements(text, dialect);
  const { byStatement, problems } = readDirectives(text, statements);
  const pgState: PgFileState = { transactional, created: new Set(), lockTimeout: false, lockTimeoutReported: false };
  const out: Finding[] = [];
  statements.forEach((stmt, i) => {
    const hits: Hit[] =
      stmt.error !== undefined
        ? [{ rule: 'parse/unreadable-statement', statement: stmt, detail: stmt.error }]
        : dialect === 'postgres'
          ? checkPostgres(stmt, pgState, schema)
          : checkSqlite(stmt, { transactional });
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

/** Unsuppressed error findings: what makes lint fail. */
export function blockingFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'error' && f.suppressed === undefined);
}
