/**
 * Reads the history table another migration tool keeps, exactly as that tool creates it, into
 * one shape: the migrations it recorded, with its checksum where it keeps one, and whether it
 * marks the database dirty or failed. Only reads: writing the table is src/peer-history's job, with each migration.
 */
import type { Driver, Row } from '../db/driver.js';
import { MigsealError } from '../errors.js';
import { PEERS, PEER_TABLES, type Peer } from '../apply/peer-tables.js';

export { PEERS, PEER_TABLES, type Peer };

export interface PeerRow {
  /** The peer's own identifier: a version, or Prisma's folder name, or Doctrine's class. */
  id: string;
  /** Prisma: SHA-256 hex of migration.sql; Flyway: CRC32 as a signed integer. */
  checksum?: string;
  /** Flyway repeatables carry no version; they are matched by description. */
  repeatable?: boolean;
  /** The peer marks this migration failed or unfinished. */
  failed?: boolean;
}

export interface PeerHistory {
  peer: Peer;
  table: string;
  rows: PeerRow[];
  /** golang-migrate keeps one row: the current version, everything up to it counts as applied. */
  upTo?: bigint;
  /** golang-migrate's dirty flag. */
  dirty?: boolean;
}

export function parsePeer(value: unknown): Peer {
  if (typeof value !== 'string' || !(PEERS as readonly string[]).includes(value)) {
    throw new MigsealError('USAGE', `--from must name the tool that managed the database: ${PEERS.join(', ')}.`);
  }
  return value as Peer;
}

export async function readPeerHistory(driver: Driver, peer: Peer, tableName?: string): Promise<PeerHistory> {
  const table = tableName ?? PEER_TABLES[peer];
  if (!(await driver.hasTable(table))) {
    throw new MigsealError('MIGRATION_UNKNOWN_APPLIED', `${driver.target} has no ${table} table, so ${peer} never managed it; nothing to adopt.`);
  }
  const rows = (sql: string): Promise<Row[]> => driver.query(sql);
  const text = (v: unknown): string => String(v);
  switch (peer) {
    case 'golang-migrate': {
      const r = await rows(`SELECT version, dirty FROM ${table}`);
      if (r.length > 1) throw new MigsealError('DATABASE_DIRTY', `${table} holds ${r.length} rows; golang-migrate keeps exactly one.`);
      const row = r[0];
      if (!row) return { peer, table, rows: [] };
      return { peer, table, rows: [], upTo: BigInt(text(row.version)), dirty: row.dirty === true || row.dirty === 1 || row.dirty === '1' || row.dirty === 't' };
    }
    case 'dbmate':
    case 'diesel':
      return { peer, table, rows: (await rows(`SELECT version FROM ${table}`)).map((r) => ({ id: text(r.version) })) };
    case 'doctrine':
      return { peer, table, rows: (await rows(`SELECT version FROM ${table}`)).map((r) => ({ id: text(r.version) })) };
    case 'prisma':
      return {
        peer,
        table,
        rows: (await rows('SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations'))
          .filter((r) => r.rolled_back_at === null || r.rolled_back_at === undefined)
          .map((r) => ({ id: text(r.migration_name), checksum: text(r.checksum), failed: r.finished_at === null || r.finished_at === undefined })),
      };
    case 'flyway':
      return {
        peer,
        table,
        rows: (await rows(`SELECT installed_rank, version, description, type, checksum, success FROM ${table} ORDER BY installed_rank`))
          .filter((r) => r.type !== 'SCHEMA' && r.type !== 'BASELINE' && r.type !== 'DELETE' && r.type !== 'UNDO_SQL')
          .map((r) => ({
            id: r.version === null || r.version === undefined ? text(r.description) : text(r.version),
            ...(r.checksum !== null && r.checksum !== undefined && { checksum: text(r.checksum) }),
            ...((r.version === null || r.version === undefined) && { repeatable: true }),
            failed: !(r.success === true || r.success === 1 || r.success === '1' || r.success === 't'),
          })),
      };
  }
}
