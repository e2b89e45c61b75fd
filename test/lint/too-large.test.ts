import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/lint/analyze.js';
import { transactionModeFor } from '../../src/lint/transaction-mode.js';
import { LIMITS } from '../../src/limits.js';

describe('a script too large to parse', () => {
  // A data load of hundreds of megabytes used to crash the parser's string conversion.
  const huge = `INSERT INTO t VALUES ('${'x'.repeat(LIMITS.maxAnalyzedScriptChars)}');\n`;

  it('is reported as an unreadable statement, not parsed', () => {
    const findings = analyzeFile('1_load.up.sql', huge, true, 'postgres');
    expect(findings.map((f) => f.rule)).toEqual(['parse/unreadable-statement']);
    expect(findings[0]!.message).toMatch(/larger than \d+ characters and was not parsed/);
  });

  it('keeps the layout’s transaction', () => {
    expect(transactionModeFor(huge, 'postgres', 'single-query').transactional).toBe(true);
  });

  it('a small script is parsed as usual', () => {
    const ok = 'CREATE TABLE t (id int);\n';
    expect(analyzeFile('1_t.up.sql', ok, true, 'postgres').map((f) => f.rule)).not.toContain('parse/unreadable-statement');
  });
});
