/**
 * A generated history of realistic PostgreSQL migrations in golang-migrate layout, written the
 * safe way (lock_timeout before strong locks, CONCURRENTLY in files of their own, NOT VALID
 * then VALIDATE, defaults on NOT NULL columns, batched backfills with WHERE). Deterministic:
 * the same count gives the same files. Also a short list of unsafe migrations with the rule
 * each must trigger. Used by bench/lint.mjs and by test/lint/corpus.test.ts.
 */
const LT = "SET lock_timeout = '5s';\n";
const ENTITIES = ['accounts', 'invoices', 'payments', 'products', 'carts', 'shipments', 'reviews', 'coupons', 'tickets', 'webhooks', 'audits', 'teams'];

/** @param {number} count @returns {Record<string, string>} */
export function safeMigrations(count) {
  const files = {};
  const tables = [];
  let v = 0;
  const add = (title, up, down) => {
    v += 1;
    files[`${String(v).padStart(4, '0')}_${title}.up.sql`] = up;
    files[`${String(v).padStart(4, '0')}_${title}.down.sql`] = down;
  };
  add('extensions', 'CREATE EXTENSION IF NOT EXISTS pgcrypto;\nCREATE EXTENSION IF NOT EXISTS citext;\n', 'DROP EXTENSION IF EXISTS citext;\n');
  add('users', 'CREATE TABLE users (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  email citext NOT NULL UNIQUE,\n  name varchar(200) NOT NULL,\n  created_at timestamptz NOT NULL DEFAULT now()\n);\n', 'DROP TABLE users;\n');
  tables.push('users');
  for (let i = 0; v < count; i++) {
    const entity = `${ENTITIES[i % ENTITIES.length]}${i >= ENTITIES.length ? `_${Math.floor(i / ENTITIES.length)}` : ''}`;
    const ref = tables[i % tables.length];
    add(`create_${entity}`, `CREATE TABLE ${entity} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  ${ref}_id bigint REFERENCES ${ref} (id),\n  title varchar(200) NOT NULL,\n  status text NOT NULL DEFAULT 'new',\n  amount numeric(12, 2),\n  created_at timestamptz NOT NULL DEFAULT now()\n);\nCREATE INDEX ${entity}_created_at ON ${entity} (created_at);\nCOMMENT ON TABLE ${entity} IS 'generated: ${entity}';\n`, `DROP TABLE ${entity};\n`);
    tables.push(entity);
    if (v >= count) break;
    add(`add_note_to_${entity}`, `${LT}ALTER TABLE ${entity} ADD COLUMN note text;\n`, `${LT}ALTER TABLE ${entity} DROP COLUMN note;\n`);
    add(`add_archived_to_${entity}`, `${LT}ALTER TABLE ${entity} ADD COLUMN archived boolean NOT NULL DEFAULT false;\n`, `${LT}ALTER TABLE ${entity} DROP COLUMN archived;\n`);
    add(`index_${entity}_status`, `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${entity}_status ON ${entity} (status) WHERE NOT archived;\n`, `DROP INDEX CONCURRENTLY IF EXISTS ${entity}_status;\n`);
    add(`backfill_${entity}_note`, `UPDATE ${entity} SET note = title WHERE note IS NULL AND id BETWEEN 1 AND 10000;\n`, `UPDATE ${entity} SET note = NULL WHERE note = title;\n`);
    add(`widen_${entity}_title`, `${LT}ALTER TABLE ${entity} ALTER COLUMN title TYPE varchar(500);\n`, `SELECT 1;\n`);
    add(`fk_${entity}_owner`, `${LT}ALTER TABLE ${entity} ADD COLUMN owner_id bigint;\nALTER TABLE ${entity} ADD CONSTRAINT ${entity}_owner_fk FOREIGN KEY (owner_id) REFERENCES users (id) NOT VALID;\n`, `${LT}ALTER TABLE ${entity} DROP COLUMN owner_id;\n`);
    add(`validate_${entity}_owner`, `${LT}ALTER TABLE ${entity} VALIDATE CONSTRAINT ${entity}_owner_fk;\n`, 'SELECT 1;\n');
    add(`unique_${entity}_title_idx`, `CREATE UNIQUE INDEX CONCURRENTLY ${entity}_title_key_idx ON ${entity} (title, id);\n`, `DROP INDEX CONCURRENTLY ${entity}_title_key_idx;\n`);
    add(`unique_${entity}_title`, `${LT}ALTER TABLE ${entity} ADD CONSTRAINT ${entity}_title_key UNIQUE USING INDEX ${entity}_title_key_idx;\n`, `${LT}ALTER TABLE ${entity} DROP CONSTRAINT ${entity}_title_key;\n`);
    add(`check_${entity}_amount`, `${LT}ALTER TABLE ${entity} ADD CONSTRAINT ${entity}_amount_positive CHECK (amount >= 0) NOT VALID;\n`, `${LT}ALTER TABLE ${entity} DROP CONSTRAINT ${entity}_amount_positive;\n`);
    add(`touch_${entity}`, `CREATE OR REPLACE FUNCTION ${entity}_touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.created_at := coalesce(NEW.created_at, now());\n  RETURN NEW;\nEND;\n$$;\n${LT}CREATE TRIGGER ${entity}_touch BEFORE INSERT ON ${entity} FOR EACH ROW EXECUTE FUNCTION ${entity}_touch();\n`, `DROP FUNCTION ${entity}_touch() CASCADE;\n`);
    add(`prune_${entity}`, `DELETE FROM ${entity} WHERE archived AND created_at < now() - interval '2 years';\n`, 'SELECT 1;\n');
    add(`view_${entity}`, `CREATE OR REPLACE VIEW ${entity}_open AS SELECT id, title, status FROM ${entity} WHERE status <> 'closed';\n`, `DROP VIEW ${entity}_open;\n`);
    if (i % 3 === 0) {
      add(`status_type_${entity}`, `CREATE TYPE ${entity}_state AS ENUM ('new', 'open', 'closed');\nALTER TYPE ${entity}_state ADD VALUE IF NOT EXISTS 'archived';\n`, `DROP TYPE ${entity}_state;\n`);
      add(`seed_${entity}`, `INSERT INTO ${entity} (title, status) VALUES ('first', 'new'), ('second', 'open') ON CONFLICT DO NOTHING;\n`, `DELETE FROM ${entity} WHERE title IN ('first', 'second');\n`);
    }
  }
  return files;
}

/** Unsafe migrations, each with the rule it must trigger (run after safeMigrations). */
export const UNSAFE = [
  ['drop_table', 'DROP TABLE accounts;', 'destructive/drop-table'],
  ['drop_column', `${LT}ALTER TABLE invoices DROP COLUMN note;`, 'destructive/drop-column'],
  ['truncate', 'TRUNCATE payments;', 'destructive/truncate'],
  ['delete_all', 'DELETE FROM carts;', 'destructive/delete-without-where'],
  ['update_all', "UPDATE products SET status = 'open';", 'destructive/update-without-where'],
  ['narrow', `${LT}ALTER TABLE users ALTER COLUMN name TYPE varchar(20);`, 'destructive/narrowing-type-change'],
  ['index_blocking', `${LT}CREATE INDEX users_name ON users (name);`, 'locking/create-index-non-concurrently'],
  ['not_null', `${LT}ALTER TABLE users ADD COLUMN plan text NOT NULL;`, 'locking/add-column-not-null-without-default'],
  ['retype', `${LT}ALTER TABLE users ALTER COLUMN created_at TYPE timestamp;`, 'locking/type-change-rewrites'],
  ['fk_validating', `${LT}ALTER TABLE reviews ADD CONSTRAINT reviews_user FOREIGN KEY (owner_id) REFERENCES users (id);`, 'locking/add-constraint-without-not-valid'],
  ['unique_blocking', `${LT}ALTER TABLE users ADD CONSTRAINT users_name_key UNIQUE (name);`, 'locking/add-unique-without-index'],
  ['no_lock_timeout', 'ALTER TABLE users ADD COLUMN bio text;', 'locking/missing-lock-timeout'],
  ['concurrently_in_tx', `${LT}CREATE INDEX CONCURRENTLY users_bio ON users (bio);`, 'transaction/cannot-run-in-transaction'],
  ['grant', 'GRANT SELECT ON users TO analytics;', 'outside-schema/grant'],
  ['role', 'CREATE ROLE analytics;', 'outside-schema/role'],
  ['copy_program', "COPY users FROM PROGRAM 'cat /etc/passwd';", 'outside-schema/copy-program'],
  ['read_file', "SELECT pg_read_file('/etc/passwd');", 'outside-schema/server-file-function'],
  ['dblink', "SELECT dblink_exec('host=elsewhere', 'drop table x');", 'outside-schema/dblink'],
];
