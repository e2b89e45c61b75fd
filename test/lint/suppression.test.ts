/** migseal:allow directives: explicit, per statement, with a reason, and never silent. */
import { describe, expect, test } from 'vitest';
import { analyzeFile, blockingFindings } from '../../src/lint/analyze.js';

const all = (sql: string) => analyzeFile('5_cleanup.up.sql', sql, true, 'postgres');
/** Findings other than the missing lock_timeout that most of these statements also trigger. */
const run = (sql: string) => all(sql).filter((f) => f.rule !== 'locking/missing-lock-timeout');

describe('suppression directives', () => {
  test('a directive on the line before a statement records the reason and stops blocking', () => {
    const findings = run('-- migseal:allow destructive/drop-table reason: replaced by the archive table\nDROP TABLE legacy_orders;\n');
    expect(findings).toMatchObject([{ rule: 'destructive/drop-table', line: 2, suppressed: 'replaced by the archive table' }]);
    expect(blockingFindings(findings)).toEqual([]);
  });

  test('a directive after the statement on the same line applies to that statement only', () => {
    const findings = run('DELETE FROM a; -- migseal:allow destructive/delete-without-where reason: a is a cache\nDELETE FROM b;\n');
    expect(findings.map((f) => [f.statement, f.suppressed])).toEqual([
      ['DELETE FROM a', 'a is a cache'],
      ['DELETE FROM b', undefined],
    ]);
    expect(blockingFindings(findings)).toHaveLength(1);
  });

  test('a directive names rules: other rules on the same statement still count', () => {
    const findings = all('/* migseal:allow locking/missing-lock-timeout reason: table has ten rows */\nALTER TABLE users DROP COLUMN x;\n');
    expect(findings.map((f) => [f.rule, f.suppressed])).toEqual([
      ['destructive/drop-column', undefined],
      ['locking/missing-lock-timeout', 'table has ten rows'],
    ]);
  });

  test('several rules in one directive', () => {
    const findings = all('-- migseal:allow destructive/drop-column, locking/missing-lock-timeout reason: column unused since 2024\nALTER TABLE users DROP COLUMN x;\n');
    expect(findings.every((f) => f.suppressed === 'column unused since 2024')).toBe(true);
    expect(findings).toHaveLength(2);
  });

  test('a directive without a reason, or naming an unknown rule, is itself an error and suppresses nothing', () => {
    const noReason = run('-- migseal:allow destructive/drop-table\nDROP TABLE t;\n');
    expect(noReason.map((f) => [f.rule, f.suppressed])).toEqual([
      ['parse/bad-directive', undefined],
      ['destructive/drop-table', undefined],
    ]);
    const unknown = run('-- migseal:allow destructive/drop-everything reason: x\nDROP TABLE t;\n');
    expect(unknown.map((f) => f.rule)).toEqual(['parse/bad-directive', 'destructive/drop-table']);
    expect(unknown[0]!.message).toMatch(/unknown rule destructive\/drop-everything/);
  });

  test('a directive that suppresses nothing is reported', () => {
    expect(run('-- migseal:allow destructive/drop-table reason: old\nCREATE TABLE t (id int);\n')).toMatchObject([{ rule: 'parse/unused-directive', line: 1, severity: 'warning' }]);
  });

  test('a directive does not reach past the statement it precedes', () => {
    const findings = run('-- migseal:allow destructive/drop-table reason: first only\nDROP TABLE a;\nDROP TABLE b;\n');
    expect(findings.map((f) => f.suppressed)).toEqual(['first only', undefined]);
  });

  test('directives work in SQLite files too', () => {
    const findings = analyzeFile('1.sql', "-- migseal:allow outside-schema/attach reason: read-only import\nATTACH 'seed.db' AS seed;\n", true, 'sqlite');
    expect(findings).toMatchObject([{ rule: 'outside-schema/attach', suppressed: 'read-only import' }]);
  });
});
