/**
 * The schema of a PostgreSQL database from its catalog, one query per kind of object
 * (never one per table). The definitions are the server's own deparsed text
 * (pg_get_indexdef, pg_get_constraintdef, pg_get_viewdef, pg_get_functiondef,
 * pg_get_triggerdef, format_type, pg_get_expr), read with the search path set to pg_catalog
 * alone, so every name in them is schema-qualified the same way whoever reads them; the
 * session's search path is put back afterwards.
 *
 * On a tenant's connection (`?schema=`) only that schema is described: the other tenants'
 * schemas are theirs. pg_class, pg_type and pg_proc have no index on the namespace, and a
 * scan of them costs as much as every tenant's tables together (and more in the fresh session
 * each target opens), so the tenant's relations, types and functions are found first where
 * the server itself keeps what lives in a schema: its dependencies on the namespace, through
 * pg_depend's index (the links DROP SCHEMA ... CASCADE follows; telling an extension's objects
 * apart already trusts the same catalog). Every query after that reaches the tenant's rows through the OID
 * indexes, and still keeps only what the catalog places in the tenant's schema, so a tenant's
 * fingerprint is the same, and costs the same, beside ten tenants as beside thousands.
 *
 * Left out otherwise: the system schemas, migseal's schema, migseal's and the peer tools' history
 * tables and what hangs on them, objects an extension owns (the extension stands for them),
 * PL/pgSQL (in every database), owners and privileges, and NOT NULL constraints, which
 * PostgreSQL 18 lists as constraints and older servers do not (a column's nullability says it).
 */
import type { Driver, Row } from '../db/driver.js';
import { MigsealError } from '../errors.js';
import type { SchemaObject } from './canonical.js';
import { keptTable, OWN_SCHEMA } from './excluded.js';

/** A tenant's schema as the catalog holds it: its name, its namespace's OID, and the OIDs of what depends on it (digits only). */
interface Tenant {
  name: string;
  namespace: string;
  relations: string[];
  types: string[];
  functions: string[];
}
const oids = (list: readonly string[]): string => `ANY ('{${list.join(',')}}'::oid[])`;

/** The schemas described: every user schema, or only the tenant's when the connection owns one (Driver.ownSchema). */
const userSchema = (n: string, only?: Tenant): string =>
  only === undefined ? `(${n}.nspname NOT LIKE 'pg\\_%' AND ${n}.nspname NOT IN ('information_schema', '${OWN_SCHEMA}'))` : `${n}.nspname = '${only.name.replace(/'/g, "''")}'`;
/** On a tenant's connection: the object's OID is among the tenant's (`pick` chooses which list), so the server reaches it by index. */
const among = (column: string, only: Tenant | undefined, pick: (t: Tenant) => readonly string[]): string => (only === undefined ? '' : ` AND ${column} = ${oids(pick(only))}`);
const notExtensionMember = (catalog: string, oid: string): string =>
  `NOT EXISTS (SELECT 1 FROM pg_depend AS dep WHERE dep.classid = '${catalog}'::regclass AND dep.objid = ${oid} AND dep.deptype = 'e')`;
/** A table (or view) the fingerprint keeps: in a user schema, not migseal's or a peer's history, not an extension's. */
const keptRelation = (c: string, n: string, only?: Tenant): string =>
  `${userSchema(n, only)}${among(`${c}.oid`, only, (t) => t.relations)} AND ${keptTable(`${c}.relname`)} AND ${notExtensionMember('pg_class', `${c}.oid`)}`;
const TABLE_KINDS = `('r', 'p', 'f')`;

const queries = (only?: Tenant): Record<string, string> => ({
  schema: `SELECT n.nspname AS schema, n.nspname AS name, 'schema' AS definition FROM pg_namespace AS n
    WHERE ${userSchema('n', only)}${among('n.oid', only, (t) => [t.namespace])} AND n.nspname <> 'public' AND ${notExtensionMember('pg_namespace', 'n.oid')}`,
  extension: `SELECT n.nspname AS schema, e.extname AS name, 'version ' || e.extversion AS definition
    FROM pg_extension AS e JOIN pg_namespace AS n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'${only === undefined ? '' : ` AND ${userSchema('n', only)}`}`,
  type: `SELECT n.nspname AS schema, t.typname AS name,
      CASE t.typtype
        WHEN 'e' THEN 'ENUM (' || (SELECT string_agg(quote_literal(l.enumlabel), ', ' ORDER BY l.enumsortorder) FROM pg_enum AS l WHERE l.enumtypid = t.oid) || ')'
        WHEN 'd' THEN 'DOMAIN ' || format_type(t.typbasetype, t.typtypmod) || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
          || coalesce(' DEFAULT ' || t.typdefault, '')
          || coalesce((SELECT ' ' || string_agg(pg_get_constraintdef(k.oid), ' ' ORDER BY k.conname) FROM pg_constraint AS k WHERE k.contypid = t.oid AND k.contype <> 'n'), '')
        WHEN 'r' THEN 'RANGE OF ' || (SELECT format_type(r.rngsubtype, NULL) FROM pg_range AS r WHERE r.rngtypid = t.oid)
        ELSE 'COMPOSITE (' || (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
          FROM pg_attribute AS a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) || ')'
      END AS definition
    FROM pg_type AS t JOIN pg_namespace AS n ON n.oid = t.typnamespace
    WHERE ${userSchema('n', only)}${among('t.oid', only, (t) => t.types)} AND ${notExtensionMember('pg_type', 't.oid')}
      AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class AS c WHERE c.oid = t.typrelid) = 'c'))`,
  sequence: `SELECT n.nspname AS schema, c.relname AS name,
      format_type(s.seqtypid, NULL) || ' START ' || s.seqstart || ' INCREMENT ' || s.seqincrement || ' MINVALUE ' || s.seqmin
        || ' MAXVALUE ' || s.seqmax || ' CACHE ' || s.seqcache || CASE WHEN s.seqcycle THEN ' CYCLE' ELSE '' END AS definition
    FROM pg_sequence AS s JOIN pg_class AS c ON c.oid = s.seqrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE ${keptRelation('c', 'n', only)}
      AND NOT EXISTS (SELECT 1 FROM pg_depend AS d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')`,
  table: `SELECT n.nspname AS schema, c.relname AS name,
      concat_ws(' ',
        CASE c.relkind WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
        CASE WHEN c.relpersistence = 'u' THEN 'UNLOGGED' END,
        CASE WHEN c.relispartition THEN 'PARTITION OF ' || (SELECT i.inhparent::regclass::text FROM pg_inherits AS i WHERE i.inhrelid = c.oid) || ' ' || pg_get_expr(c.relpartbound, c.oid) END,
        CASE WHEN c.relkind = 'p' THEN 'PARTITION BY ' || pg_get_partkeydef(c.oid) END,
        CASE WHEN NOT c.relispartition THEN (SELECT 'INHERITS (' || string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno) || ')' FROM pg_inherits AS i WHERE i.inhrelid = c.oid) END,
        CASE WHEN c.relrowsecurity THEN 'ROW LEVEL SECURITY' END,
        CASE WHEN c.relforcerowsecurity THEN 'FORCED' END,
        (SELECT 'POLICIES (' || string_agg(quote_ident(p.polname) || ' ' || p.polcmd::text || CASE WHEN p.polpermissive THEN '' ELSE ' RESTRICTIVE' END
            || coalesce(' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', '') || coalesce(' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', ''), '; ' ORDER BY p.polname) || ')'
          FROM pg_policy AS p WHERE p.polrelid = c.oid)
      ) AS definition
    FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.relkind IN ${TABLE_KINDS} AND ${keptRelation('c', 'n', only)}`,
  column: `SELECT n.nspname AS schema, c.relname || '.' || a.attname AS name,
      concat_ws(' ',
        format_type(a.atttypid, a.atttypmod),
        CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN 'COLLATE ' || (SELECT quote_ident(co.collname) FROM pg_collation AS co WHERE co.oid = a.attcollation) END,
        CASE WHEN a.attnotnull THEN 'NOT NULL' END,
        CASE WHEN a.attgenerated = 's' THEN 'GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') STORED'
             WHEN a.attgenerated = 'v' THEN 'GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') VIRTUAL'
             WHEN d.adbin IS NOT NULL THEN 'DEFAULT ' || pg_get_expr(d.adbin, d.adrelid) END,
        CASE a.attidentity WHEN 'a' THEN 'GENERATED ALWAYS AS IDENTITY' WHEN 'd' THEN 'GENERATED BY DEFAULT AS IDENTITY' END
      ) AS definition
    FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace
      JOIN pg_type AS t ON t.oid = a.atttypid
      LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ${TABLE_KINDS} AND ${keptRelation('c', 'n', only)}`,
  constraint: `SELECT n.nspname AS schema, c.relname || '.' || k.conname AS name, pg_get_constraintdef(k.oid) AS definition
    FROM pg_constraint AS k JOIN pg_class AS c ON c.oid = k.conrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE k.contype <> 'n' AND ${keptRelation('c', 'n', only)}`,
  index: `SELECT n.nspname AS schema, x.relname AS name,
      pg_get_indexdef(i.indexrelid) || CASE WHEN NOT i.indisvalid THEN ' INVALID' ELSE '' END || CASE WHEN NOT i.indisready THEN ' NOT READY' ELSE '' END AS definition
    FROM pg_index AS i JOIN pg_class AS x ON x.oid = i.indexrelid JOIN pg_class AS c ON c.oid = i.indrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE ${keptRelation('c', 'n', only)}`,
  view: `SELECT n.nspname AS schema, c.relname AS name,
      CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW ' ELSE 'VIEW ' END || pg_get_viewdef(c.oid, true) AS definition
    FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('v', 'm') AND ${keptRelation('c', 'n', only)}`,
  function: `SELECT n.nspname AS schema, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name,
      CASE WHEN p.prokind = 'a' THEN 'AGGREGATE' ELSE pg_get_functiondef(p.oid) END AS definition
    FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
    WHERE ${userSchema('n', only)}${among('p.oid', only, (t) => t.functions)} AND ${notExtensionMember('pg_proc', 'p.oid')}`,
  trigger: `SELECT n.nspname AS schema, c.relname || '.' || g.tgname AS name,
      pg_get_triggerdef(g.oid) || CASE g.tgenabled WHEN 'D' THEN ' DISABLED' WHEN 'R' THEN ' ENABLE REPLICA' WHEN 'A' THEN ' ENABLE ALWAYS' ELSE '' END AS definition
    FROM pg_trigger AS g JOIN pg_class AS c ON c.oid = g.tgrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE NOT g.tgisinternal AND ${keptRelation('c', 'n', only)}`,
});

export async function readPostgresObjects(driver: Driver): Promise<SchemaObject[]> {
  const saved = String((await driver.query(`SELECT pg_catalog.current_setting('search_path') AS path`))[0]?.path ?? '');
  await driver.query(`SELECT pg_catalog.set_config('search_path', 'pg_catalog', false)`);
  const objects: SchemaObject[] = [];
  try {
    const only = driver.ownSchema === undefined ? undefined : await readTenant(driver, driver.ownSchema);
    // A tenant schema that does not exist holds nothing (every query below would find nothing in it).
    if (only === null) return objects;
    for (const [kind, sql] of Object.entries(queries(only))) {
      for (const r of await driver.query(sql)) objects.push(toObject(kind as SchemaObject['kind'], r));
    }
  } finally {
    await driver.query(`SELECT pg_catalog.set_config('search_path', ?, false)`, [saved]);
  }
  return objects;
}

/** The tenant's namespace and what depends on it, or null when the schema does not exist. */
async function readTenant(driver: Driver, name: string): Promise<Tenant | null> {
  const dependents = (catalog: string): string =>
    `coalesce((SELECT string_agg(d.objid::text, ',') FROM pg_depend AS d WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = n.oid AND d.classid = '${catalog}'::regclass), '')`;
  const rows = await driver.query(
    `SELECT n.oid::text AS namespace, ${dependents('pg_class')} AS relations, ${dependents('pg_type')} AS types, ${dependents('pg_proc')} AS functions
      FROM pg_namespace AS n WHERE n.nspname = ?`,
    [name],
  );
  const row = rows[0];
  if (row === undefined) return null;
  const list = (value: unknown): string[] => (String(value ?? '') === '' ? [] : String(value).split(','));
  const tenant = { name, namespace: String(row.namespace), relations: list(row.relations), types: list(row.types), functions: list(row.functions) };
  // The OIDs go into the queries' text: digits, or this is not the catalog answering.
  if (![tenant.namespace, ...tenant.relations, ...tenant.types, ...tenant.functions].every((oid) => /^[0-9]+$/.test(oid))) {
    throw new MigsealError('INTERNAL', `Internal error (a bug in migseal): the catalog gave OIDs that are not numbers for schema ${name}.`);
  }
  return tenant;
}

const toObject = (kind: SchemaObject['kind'], r: Row): SchemaObject => ({ kind, schema: String(r.schema), name: String(r.name), definition: String(r.definition ?? '') });
