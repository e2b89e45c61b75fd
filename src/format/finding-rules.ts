/**
 * The rule catalogue: every finding migseal can report, with a stable id, a severity, a
 * category and the safe alternative. Ids never change meaning; policies and suppression
 * directives name them.
 */
import { MigsealError } from '../errors.js';

export const CATEGORIES = ['destructive', 'locking', 'outside-schema', 'transaction', 'parse'] as const;
export type Category = (typeof CATEGORIES)[number];
export type Severity = 'error' | 'warning' | 'info';

export interface Rule {
  id: string;
  severity: Severity;
  /** What the statement does, and the safe alternative, in one line. */
  message: string;
}

const rule = (id: string, severity: Severity, message: string): Rule => ({ id, severity, message });

export const RULES: readonly Rule[] = [
  rule('destructive/drop-schema', 'error', 'Drops a schema and everything in it; keep it, or move its data out first in a separate, approved release.'),
  rule('destructive/drop-database', 'error', 'Drops a database; do this by hand outside the migrations.'),
  rule('destructive/drop-table', 'error', 'Drops a table and its data; rename it aside (ALTER TABLE ... RENAME) and drop it in a later release once nothing reads it.'),
  rule('destructive/drop-column', 'error', 'Drops a column and its data; stop reading it first, then drop it in a later release.'),
  rule('destructive/truncate', 'error', 'Empties a table; delete the rows you mean with a WHERE clause.'),
  rule('destructive/delete-without-where', 'error', 'Deletes every row of the table; add a WHERE clause naming the rows to remove.'),
  rule('destructive/update-without-where', 'error', 'Updates every row of the table; add a WHERE clause (for a backfill: WHERE col IS NULL, in batches).'),
  rule('destructive/narrowing-type-change', 'error', 'Changes a column to a narrower type, which can fail or cut data; widen instead, or add a new column and copy.'),
  rule('locking/create-index-non-concurrently', 'warning', 'Builds an index while blocking writes to the table; use CREATE INDEX CONCURRENTLY in a migration of its own.'),
  rule('locking/add-column-not-null-without-default', 'error', 'Adds a NOT NULL column without a default, which fails on a table with rows; add a DEFAULT, or add it nullable, backfill, then set NOT NULL.'),
  rule('locking/add-column-volatile-default', 'warning', 'Adds a column whose default is computed per row (random(), gen_random_uuid(), nextval(), ...), which rewrites the table under lock; add it without a default, set the default, then backfill in batches.'),
  rule('locking/set-not-null', 'warning', "Sets NOT NULL, which scans the whole table under an ACCESS EXCLUSIVE lock; add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT NULL (PostgreSQL 12+ then skips the scan)."),
  rule('locking/type-change-rewrites', 'warning', 'Changes a column type, which can rewrite the table under an ACCESS EXCLUSIVE lock; add a new column, backfill, and switch over.'),
  rule('locking/add-constraint-without-not-valid', 'warning', 'Adds a constraint that scans the table under lock; add it NOT VALID, then VALIDATE CONSTRAINT in a later migration.'),
  rule('locking/add-unique-without-index', 'warning', 'Adds a unique or primary key constraint that builds its index under lock; CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX.'),
  rule('locking/missing-lock-timeout', 'warning', "Takes a strong lock on an existing table without a lock_timeout, so it can queue behind long queries and block everyone; start with SET lock_timeout = '5s'."),
  rule('transaction/cannot-run-in-transaction', 'error', 'Cannot run inside a transaction, and this migration runs in one; put the statement in a migration of its own (or mark the migration non-transactional where the layout allows).'),
  rule('transaction/transaction-control', 'error', 'Controls the transaction (BEGIN/COMMIT/ROLLBACK) in a migration the runner already wraps in one; remove it and let the runner commit.'),
  rule('transaction/pragma-in-transaction', 'warning', 'Sets a SQLite PRAGMA that has no effect (or fails) inside a transaction, and this migration runs in one; set it on the connection instead, or in a non-transactional migration.'),
  rule('outside-schema/grant', 'error', 'Grants privileges; manage privileges outside the migrations, or have the grant approved.'),
  rule('outside-schema/revoke', 'error', 'Revokes privileges; manage privileges outside the migrations, or have the revoke approved.'),
  rule('outside-schema/role', 'error', 'Creates, alters or drops a role; manage roles outside the migrations.'),
  rule('outside-schema/alter-system', 'error', 'Changes the server configuration; configure the server outside the migrations.'),
  rule('outside-schema/copy-program', 'error', 'Runs a program on the database server; load data with COPY ... FROM STDIN instead.'),
  rule('outside-schema/copy-server-file', 'error', "Reads or writes a file on the database server; use COPY ... FROM STDIN / TO STDOUT instead."),
  rule('outside-schema/server-file-function', 'error', 'Calls a function that reads or writes server files (pg_read_file, lo_import, ...); ship the data in the migration instead.'),
  rule('outside-schema/dblink', 'error', 'Connects to another database (dblink); keep each migration inside its own database.'),
  rule('outside-schema/attach', 'error', 'Attaches or detaches another database file; keep each migration inside its own database.'),
  rule('outside-schema/load-extension', 'error', 'Loads native code into the database (load_extension); load extensions in the application, not in a migration.'),
  rule('outside-schema/vacuum-into', 'error', 'Writes a copy of the database to a file (VACUUM INTO); take backups outside the migrations.'),
  rule('outside-schema/file-access', 'error', 'Opens, reads or writes a file outside the database (a file function, or a virtual table over files or another module); keep each migration inside its own database.'),
  rule('outside-schema/history-tables', 'error', "Reads, changes, hooks (trigger, rule) or shadows (same name in another schema, a temporary table, a view) migseal's own history tables; a migration must never touch them."),
  rule('outside-schema/name-resolution', 'error', 'Changes which tables and functions unqualified names reach (search_path, SET ROLE, a role or database default); set it outside the migrations.'),
  rule('outside-schema/native-code', 'error', 'Defines a function in C or an untrusted language, which runs code on the server outside the database; use SQL or PL/pgSQL, or have it approved.'),
  rule('parse/unreadable-statement', 'error', 'The parser cannot read this statement, so nothing about it was checked; fix the syntax or choose the right --dialect.'),
  rule('parse/tokenizer-setting', 'error', "Changes how the server reads SQL text (standard_conforming_strings, backslash_quote, escape_string_warning, client_encoding), so no static reader can say what later statements mean; never change it in a migration."),
  rule('parse/read-after-tokenizer-setting', 'error', 'Runs after a statement that changed how the server reads SQL text, so the analysis cannot say what this script does; remove the change of setting.'),
  rule('parse/unreadable-body', 'error', 'Defines code (a function, procedure, DO block or trigger) in a language the analysis cannot read, so nothing it runs was checked; write it in SQL or PL/pgSQL, or have it approved.'),
  rule('parse/dynamic-sql', 'error', 'Runs SQL built at run time (EXECUTE in a DO block or function, query_to_xml, ts_stat, ...), which no parser can check; write the statements out, or have the migration approved.'),
  rule('parse/bad-directive', 'error', 'A migseal:allow directive must name known rule ids and give a reason: -- migseal:allow RULE reason: WHY.'),
  rule('parse/unused-directive', 'warning', 'This migseal:allow directive suppresses nothing; remove it.'),
];

const BY_ID = new Map(RULES.map((r) => [r.id, r]));

export function ruleById(id: string): Rule {
  const found = BY_ID.get(id);
  if (!found) throw new MigsealError('INTERNAL', `The analysis reported a rule migseal does not define: ${id}.`);
  return found;
}

export function isRuleId(id: string): boolean {
  return BY_ID.has(id);
}

export function categoryOf(id: string): Category {
  return id.slice(0, id.indexOf('/')) as Category;
}
