/**
 * Decides which of a bundle's migrations a peer tool has already applied, checking everything
 * the peer's table allows. Pure: no database. Refuses when the peer marks the database dirty
 * or a migration failed, when the peer's checksum disagrees with the bundle's bytes, and when
 * the peer applied a migration the bundle does not contain.
 */
import { createHash } from 'node:crypto';
import { sha256Hex } from '../format/digest.js';
import { MigsealError } from '../errors.js';
import type { ManifestMigration } from '../format/manifest.js';
import { compareFlywayVersions, flywayVersion } from '../layouts/flyway-version.js';
import { flywayChecksum } from '../peer-history/flyway-checksum.js';
import type { PeerHistory, PeerRow } from './peer-history.js';

export function matchPeer(migrations: readonly ManifestMigration[], files: ReadonlyMap<string, Buffer>, peer: PeerHistory): ManifestMigration[] {
  if (peer.dirty) {
    throw new MigsealError('DATABASE_DIRTY', `${peer.table} is marked dirty at version ${peer.upTo}: a ${peer.peer} migration failed part-way. Repair the database and clear the mark (migrate force) before adopting it.`);
  }
  const failed = peer.rows.find((r) => r.failed);
  if (failed) throw new MigsealError('DATABASE_DIRTY', `${peer.table} records ${failed.id} as failed or unfinished; resolve it with ${peer.peer} before adopting the database.`);

  if (peer.peer === 'golang-migrate') {
    if (peer.upTo === undefined) return [];
    if (!migrations.some((m) => BigInt(m.version) === peer.upTo)) unknown(peer, String(peer.upTo));
    return migrations.filter((m) => BigInt(m.version) <= peer.upTo!);
  }

  const adopted: ManifestMigration[] = [];
  // For a repeatable Flyway keeps one row per run: the newest tells what the database holds.
  const rows = new Map<string, PeerRow>();
  for (const row of peer.rows) rows.set(`${row.repeatable ? 'R:' : ''}${row.id}`, row);
  for (const [, row] of rows) {
    const m = migrations.find((x) => sameMigration(peer.peer, x, row));
    if (!m) unknown(peer, row.id);
    if (row.checksum !== undefined && !checksumMatches(peer.peer, row.checksum, m, files)) {
      if (row.repeatable) continue; // changed since: apply re-runs it, as Flyway would
      throw new MigsealError('MIGRATION_DRIFT', `${peer.peer} applied ${row.id} with checksum ${row.checksum}, but the bundle's ${m.up} has ${checksumOf(peer.peer, m, files)}: the file changed after it ran.`);
    }
    adopted.push(m);
  }
  return migrations.filter((m) => adopted.includes(m));
}

function sameMigration(peer: PeerHistory['peer'], m: ManifestMigration, row: PeerRow): boolean {
  switch (peer) {
    case 'prisma':
      return m.up === `${row.id}/migration.sql`;
    case 'doctrine':
      return /Version([0-9]+)[A-Za-z0-9_]*$/.exec(row.id)?.[1] === m.version;
    case 'flyway': {
      if (row.repeatable) return m.repeatable === true && m.name === row.id;
      const a = flywayVersion(row.id);
      const b = flywayVersion(m.version);
      return !m.repeatable && a !== undefined && b !== undefined && compareFlywayVersions(a.parts, b.parts) === 0;
    }
    default:
      return m.version === row.id;
  }
}

/**
 * Prisma accepts its checksum over the script as it is, with CRLF read as LF, or with LF as CRLF (git may have
 * changed the line endings), and, for rows written by old engines, the hex digits of each byte not zero-padded
 * (schema-connector checksum.rs, script_matches_checksum).
 */
function checksumMatches(peer: PeerHistory['peer'], recorded: string, m: ManifestMigration, files: ReadonlyMap<string, Buffer>): boolean {
  if (peer !== 'prisma') return recorded === checksumOf(peer, m, files);
  const text = upBytes(m, files).toString('utf8');
  return [text, text.replace(/\r\n/g, '\n'), text.replace(/\n/g, '\r\n')].some((variant) => {
    const digest = createHash('sha256').update(variant).digest();
    const hex = recorded.length !== 64 && recorded !== '' ? [...digest].map((b) => b.toString(16)).join('') : digest.toString('hex');
    return hex === recorded;
  });
}

function checksumOf(peer: PeerHistory['peer'], m: ManifestMigration, files: ReadonlyMap<string, Buffer>): string {
  const bytes = upBytes(m, files);
  return peer === 'flyway' ? String(flywayChecksum(bytes)) : sha256Hex(bytes);
}

function unknown(peer: PeerHistory, id: string): never {
  throw new MigsealError('MIGRATION_UNKNOWN_APPLIED', `${peer.peer} applied ${id} (in ${peer.table}), which this bundle does not contain; adopt with a bundle that holds every applied migration.`);
}

/** The up file's bytes; none for a golang-migrate version that has only a down file. */
function upBytes(m: ManifestMigration, files: ReadonlyMap<string, Buffer>): Buffer {
  return (m.up === undefined ? undefined : files.get(m.up)) ?? Buffer.alloc(0);
}
