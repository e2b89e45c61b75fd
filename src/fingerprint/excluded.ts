/**
 * The tables a fingerprint leaves out: migseal's own (their rows change with every run) and
 * the history table a peer migration tool keeps beside them. Everything attached to one of
 * them (columns, indexes, constraints, triggers) is left out with it.
 */
/** migseal's tables all begin so (SQLite `main.migseal_*`; on PostgreSQL also where an older migseal kept them). */
export const OWN_TABLE_PREFIX = 'migseal_';
/** PostgreSQL: the schema migseal keeps its tables in, left out whole. */
export const OWN_SCHEMA = 'migseal';

/** The history tables of the peer tools migseal can take a database over from, as each tool names it (apply/peer-tables.ts). */
export const PEER_TABLE_NAMES: readonly string[] = Object.freeze(['__diesel_schema_migrations', '_prisma_migrations', 'doctrine_migration_versions', 'flyway_schema_history', 'schema_migrations']);

/** An SQL condition true when the table named by `column` is one a fingerprint keeps. */
export function keptTable(column: string): string {
  const peers = PEER_TABLE_NAMES.map((n) => `'${n}'`).join(', ');
  return `(${column} NOT LIKE '${OWN_TABLE_PREFIX.replace(/_/g, '\\_')}%' ESCAPE '\\' AND ${column} NOT IN (${peers}))`;
}
