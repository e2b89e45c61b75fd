/**
 * The reader of common PostgreSQL statements answers exactly as libpg_query does, or not at
 * all: for generated scripts of the statements it knows, written every way it may meet them
 * (keyword case, names that are keywords, comments, line breaks, empty statements), for
 * mutations of them (tokens dropped, doubled, swapped, characters changed), for the bench's
 * migrations, the lint corpus and the test fixtures, every script it reads gives the parser's
 * own statements, key for key and location for location, and every script the parser refuses
 * it leaves to the parser. Its keyword lists are held against the parser's own scanner.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { safeMigrations, UNSAFE } from '../../bench/lint-corpus.mjs';
import { readCommonPgDdl } from '../../src/lint/pg/common-ddl.js';
import { NOT_NAMES, UNRESERVED } from '../../src/lint/pg/keywords.js';
import { parseSync, scanSync } from '../../src/lint/pg/libpg.js';
import { pgScripts, pgMutations } from '../helpers/pg-scripts.js';
import { compareReader } from '../helpers/reader-differential.js';

function parser(text: string): string | undefined {
  try {
    return JSON.stringify((parseSync(text) as { stmts?: unknown[] }).stmts ?? []);
  } catch {
    return undefined;
  }
}

/** The bench's migrations, as bench/data.mjs writes them. */
function benchScripts(count: number): string[] {
  const out: string[] = [];
  for (let i = 1; i <= count; i++) {
    out.push(`CREATE TABLE items_${i} (\n  id BIGINT PRIMARY KEY,\n  name TEXT NOT NULL,\n  price_cents INTEGER NOT NULL DEFAULT ${i},\n  created_at TIMESTAMP NOT NULL\n);\nCREATE INDEX items_${i}_name ON items_${i} (name);\n`, `DROP TABLE items_${i};\n`);
  }
  return out;
}

/** The SQL written in the tests' own sources: every quoted string that starts as a migration does. */
function fixtureScripts(dir = join(import.meta.dirname, '..')): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...fixtureScripts(path));
    else if (name.endsWith('.ts')) {
      for (const [, quoted, ticked] of readFileSync(path, 'utf8').matchAll(/'((?:[^'\\\n]|\\.)*)'|`([^`$\\]*)`/g)) {
        const text = quoted !== undefined ? quoted.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\'/g, "'") : ticked!;
        if (/^\s*(--|create|drop|alter)/i.test(text)) out.push(text);
      }
    }
  }
  return out;
}

describe('readCommonPgDdl', () => {
  test('the statements of common migrations, read exactly as the parser reads them', () => {
    const texts = [
      ...benchScripts(2),
      "create table if not exists s.t (id integer primary key, v varchar(255) not null default 'it''s', n numeric(12, 2) default -1, b boolean default false, u uuid null unique, PRIMARY KEY (id, v), unique (n));",
      'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON s.t (a DESC, b ASC, c);\nDROP INDEX CONCURRENTLY IF EXISTS i;\nDROP TABLE IF EXISTS a, s.b CASCADE;',
      'create table t (a timestamp with time zone, b timestamp(3) without time zone, c double precision, d smallint, e float, f dec, g real, h double, name text, key int8)',
      "  -- header\nCREATE TABLE a (x int) ; ; /* c */ drop table a restrict;\n-- end\n",
      "create table t (a text default '', b int default 0, c bool default true, d text default null)",
      '-- nothing here\n',
      ';;',
    ];
    for (const text of texts) {
      const read = readCommonPgDdl(text);
      expect(read, text).toBeDefined();
      expect(JSON.stringify(read), text).toBe(parser(text));
    }
  });

  test('statements it does not know, and scripts the parser refuses, are left to the parser', () => {
    const texts = [
      'CREATE TEMP TABLE t (a int);',
      'CREATE TABLE t AS SELECT 1;',
      'CREATE TABLE "t" (a int);',
      'CREATE TABLE t (a int DEFAULT now());',
      'CREATE TABLE t (a int DEFAULT +1);',
      'CREATE TABLE t (a int DEFAULT 2147483648);',
      "CREATE TABLE t (a text DEFAULT E'x');",
      "CREATE TABLE t (a text DEFAULT 'a'\n'b');",
      'CREATE TABLE t (a int CHECK (a > 0));',
      'CREATE TABLE t (a int REFERENCES p (id));',
      'CREATE TABLE t (a int[]);',
      'CREATE TABLE t (a char(2));',
      'CREATE TABLE t (a varchar(2)[]);',
      'CREATE TABLE t (a int COLLATE "C");',
      'CREATE INDEX i ON t (a) WHERE a > 0;',
      'CREATE INDEX ON t (a);',
      'CREATE INDEX i ON t USING gin (a);',
      'ALTER TABLE t ADD COLUMN a int;',
      'CREATE TABLE t (a int',
      "CREATE TABLE t (a text DEFAULT 'open);",
      'CREATE TABLE t (a int); /* open',
      'CREATE TABLE t (a int); /* a /* nested */ comment */',
      'DROP TABLE;',
      'DROP TABLE t; SELECT 1;',
      `CREATE TABLE ${'x'.repeat(64)} (a int);`,
      'CREATE TABLE café (a int);',
      'CREATE TABLE t (a int)\f;',
      'CREATE TABLE t (a int DEFAULT 1_000);',
      '',
    ];
    for (const text of texts) expect(readCommonPgDdl(text), text).toBeUndefined();
  });

  test('generated scripts and their mutations: the parser\'s statements, or no answer', () => {
    const generated = pgScripts(1500, 1);
    const texts = [...generated, ...pgMutations(generated, 2), ...pgMutations(pgMutations(generated, 3), 4)];
    const { read, refused } = compareReader(texts, readCommonPgDdl, parser);
    // Both sides of the boundary are exercised: many scripts read, mutated ones among them, and many the parser refuses.
    expect(generated.filter((t) => read.has(t)).length).toBeGreaterThan(generated.length / 4);
    expect(read.size - generated.filter((t) => read.has(t)).length).toBeGreaterThan(generated.length / 10);
    expect(refused).toBeGreaterThan(texts.length / 10);
  });

  test('the bench\'s migrations, the lint corpus and the test fixtures: read as the parser reads them, or left to it', () => {
    const bench = benchScripts(300);
    const texts = [...bench, ...Object.values(safeMigrations(300)), ...UNSAFE.map(([, sql]) => sql), ...fixtureScripts()];
    let read = 0;
    for (const text of texts) {
      const mine = readCommonPgDdl(text);
      if (mine === undefined) continue;
      read++;
      expect(JSON.stringify(mine), text).toBe(parser(text));
    }
    expect(bench.every((t) => readCommonPgDdl(t) !== undefined)).toBe(true);
    expect(read).toBeGreaterThan(bench.length + 10);
  });

  test('the keyword lists are the parser\'s: every keyword in its category, and no other word a keyword', () => {
    const unreserved = [...UNRESERVED];
    const others = [...NOT_NAMES];
    const kinds = (words: string[]): string[] => scanSync(words.join(' ')).tokens.map((t) => t.keywordName);
    expect(new Set(kinds(unreserved))).toEqual(new Set(['UNRESERVED_KEYWORD']));
    expect(kinds(others).includes('UNRESERVED_KEYWORD')).toBe(false);
    expect(kinds(others).includes('NO_KEYWORD')).toBe(false);
    // The parser's keyword table is one NUL-separated string in its WebAssembly, from "abort" on, in order.
    const wasm = readFileSync(join(import.meta.dirname, '../../node_modules/libpg-query/wasm/libpg-query.wasm'));
    const from = wasm.indexOf('abort\0absent\0');
    const table: string[] = [];
    for (let at = from; ; ) {
      const end = wasm.indexOf(0, at);
      const word = wasm.toString('latin1', at, end);
      if (!/^[a-z_]+$/.test(word)) break;
      table.push(word);
      at = end + 1;
    }
    expect(table.length).toBeGreaterThan(400);
    expect([...unreserved, ...others].sort()).toEqual([...table].sort());
  });
});
