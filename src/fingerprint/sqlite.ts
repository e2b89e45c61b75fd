/**
 * The schema of an SQLite database's main schema, from sqlite_master and the table-valued
 * pragmas: one query per kind of object, whatever the number of tables. SQLite keeps each
 * table's, index's, view's and trigger's CREATE statement as written (ALTER TABLE edits it),
 * so those are the definitions, with runs of white space collapsed.
 */
import type { Driver } from '../db/driver.js';
import { collapseSpace, type SchemaObject } from './canonical.js';
import { keptTable } from './excluded.js';

const userObject = (column: string): string => `${column} NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND ${keptTable(column)}`;

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

export async function readSqliteObjects(driver: Driver): Promise<SchemaObject[]> {
  const objects: SchemaObject[] = [];
  const master = await driver.query(
    `SELECT type, name, tbl_name, sql FROM main.sqlite_master
     WHERE type IN ('table', 'index', 'view', 'trigger') AND sql IS NOT NULL AND ${userObject('name')} AND ${userObject('tbl_name')}`,
  );
  const kinds: Record<string, SchemaObject['kind']> = { table: 'table', index: 'index', view: 'view', trigger: 'trigger' };
  for (const r of master) {
    const kind = kinds[str(r.type)];
    if (kind) objects.push({ kind, name: kind === 'trigger' ? `${str(r.tbl_name)}.${str(r.name)}` : str(r.name), definition: collapseSpace(str(r.sql)) });
  }

  const columns = await driver.query(
    `SELECT m.name AS tbl, p.name AS name, p.type AS type, p."notnull" AS not_null, p.dflt_value AS dflt, p.pk AS pk, p.hidden AS hidden
     FROM main.sqlite_master AS m JOIN pragma_table_xinfo(m.name, 'main') AS p
     WHERE m.type = 'table' AND ${userObject('m.name')}`,
  );
  for (const c of columns) {
    const parts = [str(c.type) || '(no type)'];
    if (Number(c.not_null) === 1) parts.push('NOT NULL');
    if (c.dflt !== null && c.dflt !== undefined) parts.push(`DEFAULT ${str(c.dflt)}`);
    if (Number(c.pk) > 0) parts.push(`PRIMARY KEY (${str(c.pk)})`);
    const hidden = Number(c.hidden);
    if (hidden === 2) parts.push('GENERATED VIRTUAL');
    if (hidden === 3) parts.push('GENERATED STORED');
    if (hidden === 1) parts.push('HIDDEN');
    objects.push({ kind: 'column', name: `${str(c.tbl)}.${str(c.name)}`, definition: parts.join(' ') });
  }

  const keys = await driver.query(
    `SELECT m.name AS tbl, f.id AS id, f."table" AS target, f."from" AS source, f."to" AS dest, f.on_update AS on_update, f.on_delete AS on_delete, f."match" AS match_kind
     FROM main.sqlite_master AS m JOIN pragma_foreign_key_list(m.name, 'main') AS f
     WHERE m.type = 'table' AND ${userObject('m.name')} ORDER BY m.name, f.id, f.seq`,
  );
  const grouped = new Map<string, { tbl: string; target: string; from: string[]; to: string[]; tail: string }>();
  for (const k of keys) {
    const id = `${str(k.tbl)}\u0000${str(k.id)}`;
    let g = grouped.get(id);
    if (!g) {
      g = { tbl: str(k.tbl), target: str(k.target), from: [], to: [], tail: `ON UPDATE ${str(k.on_update)} ON DELETE ${str(k.on_delete)} MATCH ${str(k.match_kind)}` };
      grouped.set(id, g);
    }
    g.from.push(str(k.source));
    g.to.push(k.dest === null ? '(primary key)' : str(k.dest));
  }
  for (const g of grouped.values()) {
    objects.push({ kind: 'constraint', name: `${g.tbl}.foreign key (${g.from.join(', ')})`, definition: `FOREIGN KEY (${g.from.join(', ')}) REFERENCES ${g.target} (${g.to.join(', ')}) ${g.tail}` });
  }

  const unique = await driver.query(
    `SELECT m.name AS tbl, l.name AS idx, l.origin AS origin, (SELECT group_concat(name, ', ') FROM (SELECT name FROM pragma_index_info(l.name, 'main') ORDER BY seqno)) AS cols
     FROM main.sqlite_master AS m JOIN pragma_index_list(m.name, 'main') AS l
     WHERE m.type = 'table' AND l.origin IN ('u', 'pk') AND ${userObject('m.name')}`,
  );
  for (const u of unique) {
    const what = u.origin === 'pk' ? 'PRIMARY KEY' : 'UNIQUE';
    objects.push({ kind: 'constraint', name: `${str(u.tbl)}.${what.toLowerCase()} (${str(u.cols)})`, definition: `${what} (${str(u.cols)})` });
  }
  return objects;
}
