/**
 * The ways an insider with a release key would write a statement so the analysis misses it,
 * each one read the way the database will run it (threats T5.1-T5.5 and T5.10 in
 * docs/threats.md). Each case names the rule that must be found.
 */
import { describe, expect, test } from 'vitest';
import { analyzeFile } from '../../src/lint/analyze.js';
import { analyzeMigrations } from '../../src/lint/analyze.js';
import type { ManifestMigration } from '../../src/format/manifest.js';

const PG: Array<[string, string, string]> = [
  // T5.2: settings that change tokenising
  ['SET standard_conforming_strings', "SET standard_conforming_strings = off;\nSELECT 'a\\'; DROP TABLE t; --';", 'parse/tokenizer-setting'],
  ['SET LOCAL backslash_quote', 'SET LOCAL backslash_quote = on;', 'parse/tokenizer-setting'],
  ['SET SESSION escape_string_warning', 'SET SESSION escape_string_warning TO off;', 'parse/tokenizer-setting'],
  ['SET NAMES to a multibyte encoding', "SET NAMES 'SJIS';", 'parse/tokenizer-setting'],
  ['a quoted, mixed-case setting name', 'SET "Standard_Conforming_Strings" = off;', 'parse/tokenizer-setting'],
  ['set_config with a dollar-quoted name', 'SELECT set_config($$standard_conforming_strings$$, $$off$$, false);', 'parse/tokenizer-setting'],
  ['set_config with a computed name', "SELECT set_config('standard_' || 'conforming_strings', 'off', false);", 'parse/tokenizer-setting'],
  ['pg_catalog.set_config inside a DO block', "DO $$ BEGIN PERFORM pg_catalog.set_config('backslash_quote', 'on', false); END $$;", 'parse/tokenizer-setting'],
  ['ALTER DATABASE ... SET', 'ALTER DATABASE app SET standard_conforming_strings = off;', 'parse/tokenizer-setting'],
  ['ALTER ROLE ... IN DATABASE ... SET', 'ALTER ROLE deploy IN DATABASE app SET client_encoding = SJIS;', 'parse/tokenizer-setting'],
  ['ALTER SYSTEM SET', 'ALTER SYSTEM SET standard_conforming_strings = off;', 'parse/tokenizer-setting'],
  ["a function's own SET clause", 'CREATE FUNCTION f() RETURNS void SET standard_conforming_strings = off LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;', 'parse/tokenizer-setting'],
  ['ALTER FUNCTION ... SET', 'ALTER FUNCTION f() SET backslash_quote = on;', 'parse/tokenizer-setting'],
  ['UPDATE pg_settings', "UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings';", 'parse/tokenizer-setting'],
  // T5.3: code that runs later, and statements nested in others
  ['GRANT in a PL/pgSQL function', 'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $fn$ BEGIN GRANT ALL ON t TO PUBLIC; END $fn$;', 'outside-schema/grant'],
  ['DROP TABLE in a SQL function (string body)', "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'DROP TABLE t';", 'destructive/drop-table'],
  ['DROP TABLE in a BEGIN ATOMIC procedure', 'CREATE PROCEDURE p() BEGIN ATOMIC DELETE FROM t; END;', 'destructive/delete-without-where'],
  ['COPY TO PROGRAM in a function created inside a function', "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $a$ BEGIN CREATE FUNCTION g() RETURNS void LANGUAGE plpgsql AS $b$ BEGIN COPY t TO PROGRAM 'id'; END $b$; END $a$;", 'outside-schema/copy-program'],
  ['a DO block whose E-string holds the closing dollar quote: unreadable, so judged', "DO $$ BEGIN PERFORM E'\\' $$'; DROP TABLE t; END $$;", 'parse/unreadable-statement'],
  ['DROP TABLE in a DO block after an E-string with an escaped quote', "DO $$ BEGIN PERFORM E'it\\'s'; DROP TABLE t; END $$;", 'destructive/drop-table'],
  ['DROP TABLE in a DO block with a custom dollar tag holding $$', 'DO $x$ BEGIN RAISE NOTICE \'$$\'; DROP TABLE t; END $x$;', 'destructive/drop-table'],
  ['EXECUTE format() in a function', "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE format('DROP TABLE %I', 't'); END $$;", 'parse/dynamic-sql'],
  ['FOR ... IN EXECUTE', "DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'DELETE FROM t RETURNING 1' LOOP END LOOP; END $$;", 'parse/dynamic-sql'],
  ['query_to_xml', "SELECT query_to_xml('DROP TABLE t', true, true, '');", 'parse/dynamic-sql'],
  ['ts_stat', "SELECT * FROM ts_stat('DELETE FROM t RETURNING to_tsvector(1::text)');", 'parse/dynamic-sql'],
  ['a rule action', 'CREATE RULE r AS ON INSERT TO log DO ALSO DELETE FROM t;', 'destructive/delete-without-where'],
  ['a rule action instead', 'CREATE RULE r AS ON UPDATE TO log DO INSTEAD (UPDATE t SET a = 1; SELECT 1);', 'destructive/update-without-where'],
  ['a data-modifying WITH', 'WITH d AS (DELETE FROM t RETURNING *) SELECT count(*) FROM d;', 'destructive/delete-without-where'],
  ['EXPLAIN ANALYZE', 'EXPLAIN (ANALYZE) DELETE FROM t;', 'destructive/delete-without-where'],
  ['PREPARE', 'PREPARE p AS DELETE FROM t;', 'destructive/delete-without-where'],
  ['COPY of a data-modifying query', 'COPY (DELETE FROM t RETURNING *) TO STDOUT;', 'destructive/delete-without-where'],
  ['CREATE SCHEMA element', 'CREATE SCHEMA s CREATE TABLE a (i int) GRANT ALL ON a TO PUBLIC;', 'outside-schema/grant'],
  ['a body in PL/Perl', "CREATE FUNCTION f() RETURNS void LANGUAGE plperl AS $$ spi_exec_query('DROP TABLE t'); $$;", 'parse/unreadable-body'],
  ['a DO block in PL/v8', "DO LANGUAGE plv8 $$ plv8.execute('DROP TABLE t') $$;", 'parse/unreadable-body'],
  ['a trusted PL/Tcl trigger function', 'CREATE FUNCTION f() RETURNS trigger LANGUAGE pltcl AS $$ spi_exec "DROP TABLE t" $$;', 'parse/unreadable-body'],
  ['LANGUAGE internal aliasing a server-file function', "CREATE FUNCTION innocent(text) RETURNS text LANGUAGE internal AS 'pg_read_file_off_len';", 'outside-schema/native-code'],
  ['plpython3u', 'CREATE FUNCTION f() RETURNS void LANGUAGE plpython3u AS $$ import os $$;', 'outside-schema/native-code'],
  // Quoting and escapes PostgreSQL's own parser reads as the server does
  ['a DROP after a U& string with UESCAPE', "SELECT U&'!0044ROP' UESCAPE '!'; DROP TABLE t;", 'destructive/drop-table'],
  ['a quoted identifier holding a semicolon', 'DROP TABLE "a;b";', 'destructive/drop-table'],
  ['a GRANT after a nested comment', '/* a /* b */ still a comment */ GRANT ALL ON t TO PUBLIC;', 'outside-schema/grant'],
  // T5.10: migseal's own tables
  ['UPDATE migseal_migrations', "UPDATE migseal_migrations SET state = 'applied';", 'outside-schema/history-tables'],
  ['a quoted, schema-qualified history table', 'DELETE FROM public."migseal_runs" WHERE true;', 'outside-schema/history-tables'],
  ['a temporary table of the same name', 'CREATE TEMP TABLE migseal_release (id int);', 'outside-schema/history-tables'],
  ['a view of the same name in another schema', 'CREATE VIEW s.migseal_migrations AS SELECT 1;', 'outside-schema/history-tables'],
  ['a table renamed to a history name', 'ALTER TABLE t RENAME TO migseal_runs;', 'outside-schema/history-tables'],
  ['a trigger on a history table', 'CREATE TRIGGER x BEFORE INSERT ON migseal_runs FOR EACH ROW EXECUTE FUNCTION f();', 'outside-schema/history-tables'],
  ['a rule on a history table', 'CREATE RULE x AS ON INSERT TO migseal_runs DO INSTEAD NOTHING;', 'outside-schema/history-tables'],
  ['a read in a PL/pgSQL function', 'CREATE FUNCTION f() RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT count(*) FROM migseal_migrations); END $$;', 'outside-schema/history-tables'],
  ['an event trigger', 'CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f();', 'outside-schema/history-tables'],
  ['SET search_path', 'SET search_path TO shadow, public;', 'outside-schema/name-resolution'],
  ['set_config search_path', "SELECT set_config('search_path', 'shadow, public', false);", 'outside-schema/name-resolution'],
  ['ALTER DATABASE SET search_path', 'ALTER DATABASE app SET search_path = shadow, public;', 'outside-schema/name-resolution'],
  ['SET ROLE', 'SET ROLE other;', 'outside-schema/name-resolution'],
  ['CREATE SCHEMA AUTHORIZATION (the "$user" schema)', 'CREATE SCHEMA AUTHORIZATION CURRENT_USER;', 'outside-schema/name-resolution'],
];

const SQLITE: Array<[string, string, string]> = [
  ['DELETE in a trigger body', 'CREATE TRIGGER x AFTER INSERT ON a BEGIN DELETE FROM t; END;', 'destructive/delete-without-where'],
  ['load_extension in a trigger body', "CREATE TRIGGER x AFTER INSERT ON a BEGIN SELECT load_extension('e'); END;", 'outside-schema/load-extension'],
  ['DROP after a comment SQLite does not nest', '/* a /* b */ DROP TABLE t; -- */', 'destructive/drop-table'],
  ['VACUUM INTO', "VACUUM INTO '/tmp/copy.db';", 'outside-schema/vacuum-into'],
  ['VACUUM INTO a computed name, which the parser cannot read: judged as unreadable', "VACUUM main INTO 'copy' || '.db';", 'parse/unreadable-statement'],
  ['VACUUM schema INTO', "VACUUM main INTO 'copy.db';", 'outside-schema/vacuum-into'],
  ['ATTACH by an expression', "ATTACH 'a' || '.db' AS x;", 'outside-schema/attach'],
  ['ATTACH a URI', "ATTACH DATABASE 'file:x.db?mode=rwc' AS x;", 'outside-schema/attach'],
  ['a file virtual table', "CREATE VIRTUAL TABLE z USING zipfile('/tmp/a.zip');", 'outside-schema/file-access'],
  ['writefile()', "SELECT writefile('/tmp/x', 'data');", 'outside-schema/file-access'],
  ['PRAGMA data_store_directory', "PRAGMA data_store_directory = '/tmp';", 'outside-schema/file-access'],
  ['a temporary history table', 'CREATE TEMP TABLE migseal_runs (a);', 'outside-schema/history-tables'],
  ['a bracket-quoted history table', 'DELETE FROM [migseal_migrations];', 'outside-schema/history-tables'],
  ['a trigger on a history table', 'CREATE TRIGGER x BEFORE DELETE ON migseal_migrations BEGIN SELECT 1; END;', 'outside-schema/history-tables'],
];

describe('hidden statements are found', () => {
  test.each(PG)('PostgreSQL: %s', (_name, sql, rule) => {
    const found = analyzeFile('2_hidden.up.sql', `${sql}\n`, true, 'postgres');
    expect(found.map((f) => f.rule), JSON.stringify(found)).toContain(rule);
  });
  test.each(SQLITE)('SQLite: %s', (_name, sql, rule) => {
    const found = analyzeFile('2_hidden.up.sql', `${sql}\n`, false, 'sqlite');
    expect(found.map((f) => f.rule), JSON.stringify(found)).toContain(rule);
  });
});

describe('what is not hidden stays quiet', () => {
  test.each([
    ['a function that sets its own search_path (good practice)', "CREATE FUNCTION f() RETURNS int SET search_path = '' LANGUAGE sql AS $$ SELECT 1 $$;"],
    ['a string that only mentions a history table', "INSERT INTO notes VALUES ('migseal_runs is migseal''s table');"],
    ['a nested comment hiding nothing', '/* a /* b */ c */ SELECT 1;'],
    ['SET lock_timeout', "SET lock_timeout = '5s';"],
  ])('PostgreSQL: %s', (_name, sql) => {
    expect(analyzeFile('1.sql', `${sql}\n`, true, 'postgres').filter((f) => f.severity === 'error')).toEqual([]);
  });
});

describe('text after a tokenizer setting', () => {
  test('every later script of the bundle, up and down, is flagged as read under the changed setting', () => {
    const files: Record<string, string> = {
      '1.up.sql': 'CREATE TABLE t (a int);\n',
      '2.up.sql': "SET standard_conforming_strings = off;\nSELECT 'x';\n",
      '3.up.sql': 'SELECT 1;\n',
      '3.down.sql': 'SELECT 1;\n',
    };
    const migrations: ManifestMigration[] = [
      { version: '1', name: 'a', up: '1.up.sql', transactional: true },
      { version: '2', name: 'b', up: '2.up.sql', transactional: true },
      { version: '3', name: 'c', up: '3.up.sql', down: '3.down.sql', transactional: true },
    ];
    const findings = analyzeMigrations({ migrations, read: (p) => Buffer.from(files[p]!), dialect: 'postgres' });
    expect(findings.filter((f) => f.rule.startsWith('parse/')).map((f) => [f.rule, f.file, f.line])).toEqual([
      ['parse/tokenizer-setting', '2.up.sql', 1],
      ['parse/read-after-tokenizer-setting', '2.up.sql', 2],
      ['parse/read-after-tokenizer-setting', '3.up.sql', 1],
      ['parse/read-after-tokenizer-setting', '3.down.sql', 1],
    ]);
    expect(findings.find((f) => f.file === '3.up.sql')!.message).toMatch(/changed at 2\.up\.sql line 1/);
  });
});
