/**
 * Parsing SQLite scripts together gives, for each script, exactly what parsing it alone
 * gives: statements, lines, errors and trees (ranges included), also when a script runs
 * into the next one (an open comment, string or trigger body) or does not parse at all.
 */
import { describe, expect, test } from 'vitest';
import { safeMigrations, UNSAFE } from '../../bench/lint-corpus.mjs';
import { parseSqliteByGrammar as parseSqlite, parseSqliteManyByGrammar as parseSqliteMany } from '../../src/lint/sqlite/parse.js';

const alone = (texts: string[]) => texts.map((t) => parseSqlite(t));

describe('parseSqliteMany', () => {
  test('a generated history and its unsafe variants: the same as one script at a time', () => {
    const texts = [...Object.values(safeMigrations(80)), ...UNSAFE.map(([, sql]) => sql)];
    const many = parseSqliteMany(texts);
    expect(many).toEqual(alone(texts));
    // PostgreSQL-only scripts are among them: some statements are unreadable to SQLite.
    expect(many.flat().some((s) => s.error !== undefined)).toBe(true);
    expect(many.flat().filter((s) => s.error === undefined).length).toBeGreaterThan(100);
  });

  // Each pair: a script that does not end where it ends, and one that would close what it left open.
  const runOn: Array<[string, string[]]> = [
    ['an open block comment', ['CREATE TABLE a (x INT); /* open', '*/ SELECT 2;']],
    ['an open string', ["SELECT 'abc", "x';", 'SELECT 3;']],
    ['an open quoted name', ['SELECT "abc', 'x" FROM t;']],
    ['an open bracket name', ['SELECT [abc', 'x] FROM t;']],
    ['a trigger body without END', ['CREATE TABLE t (a INT);\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1;', 'END;', 'SELECT 4;']],
    ['an unfinished expression', ['SELECT 1 +', '2;']],
    ['an open parenthesis', ['SELECT (1', ');']],
  ];
  test.each(runOn)('%s: each script read on its own', (_name, texts) => {
    const many = parseSqliteMany(texts);
    expect(many).toEqual(alone(texts));
    // Read together, the pair would be one readable statement; read alone, one of them is not.
    expect(many.flat().some((s) => s.error !== undefined)).toBe(true);
  });

  test('edge scripts: empty, comments only, trailing comment, repeated semicolons, CRLF, the marker itself, quotes holding semicolons', () => {
    const texts = [
      '',
      '   \n',
      '-- only a comment',
      '/* block */',
      'SELECT 1 -- trailing, no newline',
      'SELECT 1;;;',
      'CREATE TABLE a (x INT);\r\nCREATE INDEX a_x ON a (x);\r\n',
      'SELECT 0;\nSELECT 0',
      "CREATE TABLE [x;y] (a TEXT DEFAULT ';');\nSELECT \"a;\" FROM t; SELECT 'it''s';",
      'PRAGMA foreign_keys = OFF;\nVACUUM;',
      'BEGIN;\nCREATE TABLE q (a);\nCOMMIT;',
      'CREATE TABLE t (a INT);\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = 1; DELETE FROM t; END;',
      "INSERT INTO t VALUES ('é ü 日本');",
      'NOT SQL AT ALL;\nSELECT 1;',
    ];
    const many = parseSqliteMany(texts);
    expect(many).toEqual(alone(texts));
    expect(many.map((s) => s.length)).toEqual([0, 0, 0, 0, 1, 1, 2, 2, 3, 2, 3, 2, 1, 2]);
  });

  test('a batch with one unreadable script among many: every other script keeps its trees', () => {
    const good = Array.from({ length: 40 }, (_, i) => `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nDROP TABLE t${i};\n`);
    const texts = [...good.slice(0, 23), 'CREATE TABLE broken (id INTEGER PRIMARY KEY,);', ...good.slice(23)];
    const many = parseSqliteMany(texts);
    expect(many).toEqual(alone(texts));
    expect(many.filter((statements) => statements.some((s) => s.error !== undefined))).toHaveLength(1);
  });
});
