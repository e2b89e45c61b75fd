/**
 * A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind, and running the migration
 * again then fails with "already exists". This finds the indexes the failed script was
 * building that PostgreSQL marks invalid, and the statement that removes each.
 */
import type { Driver } from '../db/driver.js';

const CONCURRENT_INDEX = /\bcreate\s+(?:unique\s+)?index\s+concurrently\s+(?:if\s+not\s+exists\s+)?((?:"(?:[^"]|"")+"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[\w$]+))?)/gi;

/** The index names a script builds concurrently, as PostgreSQL stores them (unquoted names fold to lower case). */
export function concurrentIndexNames(sql: string): string[] {
  const names = new Set<string>();
  for (const m of sql.matchAll(CONCURRENT_INDEX)) {
    const last = m[1]!.split(/\s*\.\s*(?=(?:"|[\w$]))/).at(-1)!;
    names.add(last.startsWith('"') ? last.slice(1, -1).replace(/""/g, '"') : last.toLowerCase());
  }
  return [...names];
}

export interface InvalidIndex {
  /** schema.name, quoted as needed. */
  name: string;
  drop: string;
}

export async function invalidIndexesLeftBy(driver: Driver, sql: string): Promise<InvalidIndex[]> {
  if (driver.dialect !== 'postgres') return [];
  const names = concurrentIndexNames(sql);
  if (names.length === 0) return [];
  try {
    const rows = await driver.query(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid AND c.relname = ANY(?::text[]) ORDER BY 1`,
      [`{${names.map((n) => `"${n.replace(/(["\\])/g, '\\$1')}"`).join(',')}}`],
    );
    return rows.map((r) => ({ name: String(r.name), drop: `DROP INDEX CONCURRENTLY ${String(r.name)};` }));
  } catch {
    // Looking is a courtesy: the failure itself is what the operator must see.
    return [];
  }
}

export interface InvalidIndexOnTable extends InvalidIndex {
  /** schema.table the index is on. */
  table: string;
}

/**
 * Every INVALID index in the database (status): what a failed CREATE INDEX CONCURRENTLY left,
 * and what blocks a new attempt. An index still being built concurrently is invalid too, until
 * it finishes: those that pg_stat_progress_create_index shows in progress are left out.
 */
export async function invalidIndexes(driver: Driver): Promise<InvalidIndexOnTable[]> {
  if (driver.dialect !== 'postgres') return [];
  const select = (inProgress: string) =>
    `SELECT format('%I.%I', n.nspname, c.relname) AS name, format('%I.%I', tn.nspname, t.relname) AS "table"
       FROM pg_catalog.pg_index i
       JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_class t ON t.oid = i.indrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
      WHERE NOT i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'${inProgress}
      ORDER BY 1`;
  let rows;
  try {
    rows = await driver.query(select(' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid)'));
  } catch {
    // Before PostgreSQL 12 there is no progress view: every invalid index is listed.
    rows = await driver.query(select(''));
  }
  return rows.map((r) => ({ name: String(r.name), table: String(r.table), drop: `DROP INDEX CONCURRENTLY ${String(r.name)};` }));
}
