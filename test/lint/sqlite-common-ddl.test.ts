/**
 * The reader of common SQLite statements answers exactly as the grammar does, or not at all:
 * for generated scripts of the statements it knows, written every way it may meet them
 * (keyword case, names that are keywords in some dialect, comments, line breaks, empty
 * statements), and for mutations of them (tokens dropped, doubled, swapped, characters
 * changed), every script it reads gives the grammar's own statements, key for key and range
 * for range, and every script the grammar refuses it leaves to the grammar.
 */
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { safeMigrations, UNSAFE } from '../../bench/lint-corpus.mjs';
import { readCommonDdl } from '../../src/lint/sqlite/common-ddl.js';
import { parseSqlite, parseSqliteByGrammar, parseSqliteMany, parseSqliteManyByGrammar } from '../../src/lint/sqlite/parse.js';
import { mutateScripts, random } from '../helpers/script-mutations.js';
import { compareReader } from '../helpers/reader-differential.js';

const require = createRequire(import.meta.url);
const { parse } = require('sql-parser-cst') as { parse: (sql: string, options: object) => { statements: unknown[] } };
const keywordLists = ['sqlite', 'mysql', 'postgresql', 'bigquery', 'mariadb'].map((d) => Object.keys(require(`sql-parser-cst/lib/keywords/${d}.keywords.js`)[`${d}Keywords`] ?? {}));

function grammar(text: string): string | undefined {
  try {
    return JSON.stringify(parse(text, { dialect: 'sqlite', includeRange: true }).statements);
  } catch {
    return undefined;
  }
}

/** Seeded, so a failure names a case that comes back. */
function scripts(count: number, seed: number): string[] {
  const r = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  // Names: plain ones, and words some dialect's grammar treats as keywords (SQLite's among them).
  const words = [...new Set(keywordLists.flat())];
  const name = (): string => (r() < 0.8 ? pick(['id', 'name', 'items_1', 'users', 'x', '_t', 'price_cents', 'created_at', 'Tbl9', 'a1b2']) : pick(words).toLowerCase());
  const kw = (k: string): string => (r() < 0.5 ? k : r() < 0.5 ? k.toLowerCase() : k[0] + k.slice(1).toLowerCase());
  const gap = (): string => pick([' ', ' ', ' ', '\n  ', '\t', ' /* c */ ', ' -- note\n', '\r\n', '  ', '\r', ' -- note\r\n']);
  const typeName = (): string => {
    const t = pick(['INTEGER', 'INT', 'BIGINT', 'TEXT', 'VARCHAR(255)', 'DECIMAL(10, 2)', 'DOUBLE PRECISION', 'UNSIGNED BIG INT', 'REAL', 'BLOB', 'TIMESTAMP', 'BOOLEAN', 'NUMERIC(1,2,3)', 'CHAR ( 8 )']);
    return r() < 0.15 ? name() : kw(t);
  };
  const literal = (): string => pick(['0', '42', '007', '1.5', '9007199254740993', "'x'", "'it''s'", "''", 'NULL', 'null', 'TRUE', 'CURRENT_TIMESTAMP', '-1', "x'00'", '1e3']);
  const constraint = (): string =>
    pick([kw('PRIMARY KEY'), kw('NOT NULL'), kw('NULL'), kw('UNIQUE'), kw('AUTOINCREMENT'), `${kw('DEFAULT')} ${literal()}`, `${kw('DEFAULT')} ${literal()} ${kw('NOT NULL')}`, `${kw('DEFAULT')} ${literal()} ${kw('NULL')}`, `${kw('REFERENCES')} ${name()}`, `${kw('REFERENCES')} ${name()} (${name()})`, kw('PRIMARY KEY ASC'), kw('CHECK (x > 0)'), kw('COLLATE NOCASE')]);
  const column = (): string => [name(), ...(r() < 0.9 ? [typeName()] : []), ...Array.from({ length: Math.floor(r() * 3) }, constraint)].join(gap());
  const tableConstraint = (): string => pick([`${kw('PRIMARY KEY')} (${name()}, ${name()})`, `${kw('UNIQUE')} (${name()})`, `${kw('FOREIGN KEY')} (${name()}) ${kw('REFERENCES')} ${name()} (${name()})`, `${kw('FOREIGN KEY')} (${name()}) ${kw('REFERENCES')} ${name()}`]);
  const statement = (): string =>
    pick([
      () => `${kw('CREATE TABLE')}${r() < 0.2 ? ` ${kw('IF NOT EXISTS')}` : ''} ${name()} (${gap()}${Array.from({ length: 1 + Math.floor(r() * 4) }, column).join(`,${gap()}`)}${r() < 0.3 ? `, ${tableConstraint()}` : ''}${gap()})`,
      () => `${kw('CREATE')} ${r() < 0.3 ? `${kw('UNIQUE')} ` : ''}${kw('INDEX')}${r() < 0.2 ? ` ${kw('IF NOT EXISTS')}` : ''} ${name()} ${kw('ON')} ${name()} (${Array.from({ length: 1 + Math.floor(r() * 3) }, () => `${name()}${pick(['', ` ${kw('ASC')}`, ` ${kw('DESC')}`])}`).join(', ')})`,
      () => `${kw('DROP')} ${pick([kw('TABLE'), kw('INDEX')])}${r() < 0.3 ? ` ${kw('IF EXISTS')}` : ''} ${Array.from({ length: 1 + Math.floor(r() * 2) }, name).join(', ')}`,
      () => `${kw('ALTER TABLE')} ${name()} ${pick([`${kw('ADD')} ${column()}`, `${kw('ADD COLUMN')} ${column()}`, `${kw('DROP')} ${name()}`, `${kw('DROP COLUMN')} ${name()}`, `${kw('RENAME TO')} ${name()}`, `${kw('RENAME')} ${name()} ${kw('TO')} ${name()}`, `${kw('RENAME COLUMN')} ${name()} ${kw('TO')} ${name()}`])}`,
    ])();
  return Array.from({ length: count }, () => {
    const lead = pick(['', '', '-- migrate up\n', '/* header */\n', '\n\n']);
    const body = Array.from({ length: 1 + Math.floor(r() * 3) }, statement).join(pick([';\n', '; ', ';\n\n', ';;\n', ' ;']));
    return lead + body + pick(['', ';', ';\n', '; -- done\n', ';\n/* end */', ' ']);
  });
}

/** Token-level and character-level damage to a script, with SQLite's punctuation and words. */
function mutations(texts: readonly string[], seed: number): string[] {
  return mutateScripts(texts, seed, /(\s+|[(),;])/, ['(', ')', ',', ';', "'", '"', '.', '--', '/*', '`', '[', '$', 'é', '\f', '1', 'END', 'BEGIN']);
}

describe('readCommonDdl', () => {
  test('the statements of common migrations, read exactly as the grammar reads them', () => {
    const texts = [
      'CREATE TABLE items_1 (\n  id BIGINT PRIMARY KEY,\n  name TEXT NOT NULL,\n  price_cents INTEGER NOT NULL DEFAULT 1,\n  created_at TIMESTAMP NOT NULL\n);\nCREATE INDEX items_1_name ON items_1 (name);\n',
      'DROP TABLE items_1;\n',
      "create table if not exists t (id integer primary key autoincrement, v varchar(255) not null default 'it''s', p INT REFERENCES parent (id), UNIQUE (v));",
      'ALTER TABLE t ADD COLUMN c TEXT DEFAULT NULL;\nALTER TABLE t RENAME COLUMN c TO d;\nALTER TABLE t DROP COLUMN d;\nALTER TABLE t RENAME TO u;\nDROP INDEX IF EXISTS i;',
      '',
      '-- nothing here\n',
      ';;',
    ];
    for (const text of texts) {
      const read = readCommonDdl(text);
      expect(read, text).toBeDefined();
      expect(JSON.stringify(read), text).toBe(grammar(text));
    }
  });

  test('statements it does not know, and scripts the grammar refuses, are left to the grammar', () => {
    const texts = [
      'CREATE TEMP TABLE t (a INT);',
      'CREATE TABLE t AS SELECT 1;',
      'CREATE TABLE t (a INT) STRICT;',
      'CREATE TABLE "t" (a INT);',
      'CREATE TABLE main.t (a INT);',
      'CREATE TABLE t (a INT DEFAULT CURRENT_TIMESTAMP);',
      'CREATE TABLE t (a INT DEFAULT -1);',
      'CREATE TABLE t (a INT CHECK (a > 0));',
      'CREATE TABLE t (a INT REFERENCES p (id) ON DELETE CASCADE);',
      'CREATE INDEX i ON t (a) WHERE a > 0;',
      'CREATE TABLE t (key INT);',
      'DROP TABLE t',
      'INSERT INTO t VALUES (1);',
      'CREATE TABLE t (a INT',
      "CREATE TABLE t (a TEXT DEFAULT 'open);",
      'CREATE TABLE t (a INT); /* open',
      'DROP TABLE;',
    ].filter((t) => t !== 'DROP TABLE t');
    for (const text of texts) expect(readCommonDdl(text), text).toBeUndefined();
  });

  test('generated scripts and their mutations: the grammar\'s statements, or no answer', () => {
    const generated = scripts(700, 1);
    const texts = [...generated, ...mutations(generated, 2), ...mutations(mutations(generated, 3), 4)];
    const { read, refused } = compareReader(texts, readCommonDdl, grammar);
    // Both sides of the boundary are exercised: many scripts read, mutated ones among them, and many the grammar refuses.
    expect(generated.filter((t) => read.has(t)).length).toBeGreaterThan(generated.length / 6);
    expect(read.size - generated.filter((t) => read.has(t)).length).toBeGreaterThan(generated.length / 10);
    expect(refused).toBeGreaterThan(texts.length / 10);
  });

  test('parseSqlite and parseSqliteMany give what the grammar alone gives, for the lint corpus', () => {
    const texts = [...Object.values(safeMigrations(80)), ...UNSAFE.map(([, sql]) => sql), ...scripts(100, 5)];
    expect(texts.map(parseSqlite)).toEqual(texts.map(parseSqliteByGrammar));
    expect(parseSqliteMany(texts)).toEqual(parseSqliteManyByGrammar(texts));
    expect(texts.filter((t) => readCommonDdl(t) !== undefined).length).toBeGreaterThan(30);
  });
});
