/** The migration tools migseal can take a database over from, and the history table each keeps, as the tool creates it. */
export const PEERS = ['golang-migrate', 'prisma', 'diesel', 'dbmate', 'flyway', 'doctrine'] as const;
export type Peer = (typeof PEERS)[number];

export const PEER_TABLES: Readonly<Record<Peer, string>> = Object.freeze({
  'golang-migrate': 'schema_migrations',
  dbmate: 'schema_migrations',
  prisma: '_prisma_migrations',
  diesel: '__diesel_schema_migrations',
  flyway: 'flyway_schema_history',
  doctrine: 'doctrine_migration_versions',
});
