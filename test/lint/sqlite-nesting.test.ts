/**
 * SQLite's grammar backtracks through every reading of each open parenthesis: a statement that
 * does not parse costs twice as much per level of nesting, and `SELECT ((((…` thirty deep ran
 * for minutes, then aborted the process growing the parser's list of expected tokens. Such
 * statements are reported unreadable without being parsed; valid nested SQL still parses.
 */
import { describe, expect, it } from 'vitest';
import { parseStatements } from '../../src/lint/parse.js';
import { parseSqlite, parseSqliteMany } from '../../src/lint/sqlite/parse.js';
import { controlsOwnTransaction, transactionModeFor } from '../../src/lint/transaction-mode.js';

/** The CPU time `run` took in this process: minutes of backtracking show, and a busy machine's waits do not. */
function timed<T>(run: () => T): { value: T; ms: number } {
  const started = process.cpuUsage();
  const value = run();
  const { user, system } = process.cpuUsage(started);
  return { value, ms: (user + system) / 1000 };
}

// Distinct texts each time: parseStatements remembers scripts it has read.
let n = 0;
const unique = (sql: string) => `${sql}\n-- ${n++}\n`;

describe('SQLite statements nested in parentheses', () => {
  it('an open parenthesis never closed, 30 deep: unreadable at once, not parsed', () => {
    const { value, ms } = timed(() => parseStatements(unique(`SELECT ${'('.repeat(30)}`), 'sqlite'));
    expect(value.map((s) => s.error)).toEqual(['its parentheses do not balance']);
    expect(ms).toBeLessThan(1000);
  });

  it('an error 30 deep inside balanced parentheses: unreadable, not parsed', () => {
    const { value, ms } = timed(() => parseStatements(unique(`CREATE TABLE t (a INT CHECK (${'('.repeat(28)}1 +${')'.repeat(28)}));`), 'sqlite'));
    expect(value.map((s) => s.error)).toEqual(['it nests parentheses more than 12 deep and was not parsed']);
    expect(ms).toBeLessThan(1000);
  });

  it('valid SQL 12 deep parses, and a valid statement beside a broken one still reads', () => {
    const twelve = parseStatements(unique(`SELECT 1 IN ${'('.repeat(11)}1${')'.repeat(11)};`), 'sqlite');
    expect(twelve.map((s) => s.error)).toEqual([undefined]);
    const ok = 'CREATE TABLE t (a INT);\nSELECT 1 +;\n';
    const mixed = parseStatements(unique(`${ok}SELECT ${'('.repeat(8)}1${')'.repeat(8)};`), 'sqlite');
    expect(mixed.map((s) => s.error === undefined)).toEqual([true, false, true]);
  });

  it('parentheses in strings, quoted names and comments do not count', () => {
    const sql = unique(`SELECT '((((', "a(", [b(] FROM t -- ((((\n/* ((( */;`);
    expect(parseStatements(sql, 'sqlite').map((s) => s.error)).toEqual([undefined]);
  });

  it('200 failing statements 8 deep: after 4, the deep ones are not parsed, and the script reads in well under a second', () => {
    const bad = `SELECT ${'('.repeat(8)}1 +${')'.repeat(8)};\n`;
    const { value, ms } = timed(() => parseStatements(unique(bad.repeat(200)), 'sqlite'));
    expect(value).toHaveLength(200);
    expect(value.every((s) => s.error !== undefined)).toBe(true);
    expect(value.filter((s) => /after 4 such statements/.test(s.error!))).toHaveLength(196);
    expect(ms).toBeLessThan(1000);
  });

  it('the runner and the layouts decide the transaction mode of such a file at once', () => {
    const sql = unique(`BEGIN;\nINSERT INTO t VALUES ${'('.repeat(30)};\nCOMMIT;`);
    const { value, ms } = timed(() => [controlsOwnTransaction(sql, 'sqlite'), transactionModeFor(sql, 'any', 'single-query').transactional]);
    expect(value).toEqual([true, false]);
    expect(ms).toBeLessThan(1000);
  });

  it('a folder parsed in batches reads such a script on its own, as parseSqlite does, at once', () => {
    const texts = ['CREATE TABLE a (x INT);\n', `SELECT ${'('.repeat(30)};\n`, 'CREATE TABLE b (y INT CHECK (y > 0));\n', `SELECT ${'('.repeat(30)}1 +${')'.repeat(30)};\n`];
    const { value, ms } = timed(() => parseSqliteMany(texts));
    expect(value.map((statements) => statements.map((s) => s.error))).toEqual(texts.map((t) => parseSqlite(t).map((s) => s.error)));
    expect(value.map((statements) => statements.every((s) => s.error === undefined))).toEqual([true, false, true, false]);
    expect(ms).toBeLessThan(1000);
  });
});
