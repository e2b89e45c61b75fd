/** SARIF output validates against the official SARIF 2.1.0 schema (shipped in an npm package). */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { analyzeFile } from '../../src/lint/analyze.js';
import { toSarif } from '../../src/lint/sarif.js';

const require = createRequire(import.meta.url);
type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };
const Ajv = require('ajv-draft-04') as new (options: Record<string, unknown>) => { compile(schema: object): Validate };
const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')) as Record<string, unknown>;

function validator() {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
  return ajv.compile(schema);
}

describe('SARIF', () => {
  const sql = "-- migseal:allow destructive/drop-table reason: archived\nDROP TABLE a;\nDELETE FROM b;\nCREATE INDEX i ON c (x);\nnot sql at all;\n";
  const findings = analyzeFile('migrations/3 cleanup.up.sql', sql, true, 'postgres');

  test('a log with errors, warnings and a suppression validates', () => {
    const validate = validator();
    const log = toSarif(findings, { version: '0.1.0', baseUri: 'file:///repo/db' });
    const ok = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    const results = (log.runs as Array<{ results: Array<Record<string, unknown>> }>)[0]!.results;
    expect(results.map((r) => r.level)).toEqual(['error', 'warning', 'error', 'warning', 'error']);
    expect(results[0]).toMatchObject({ ruleId: 'destructive/drop-table', suppressions: [{ kind: 'inSource', justification: 'archived' }] });
  });

  test('an empty log validates, and the validator does reject a broken one', () => {
    const validate = validator();
    expect(validate(toSarif([], { version: '0.1.0', baseUri: 'file:///repo/db/' }))).toBe(true);
    const broken = toSarif(findings, { version: '0.1.0', baseUri: 'file:///repo/db' }) as { runs: Array<{ results: Array<Record<string, unknown>> }> };
    broken.runs[0]!.results[0]!.level = 'fatal';
    expect(validate(broken)).toBe(false);
  });
});
