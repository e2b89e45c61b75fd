/**
 * Checks that a database with no migseal history is not one another migration tool manages:
 * apply would run every migration again over that tool's schema. Such a database is taken
 * over with `migseal adopt`, or the operator says the peer table is unrelated.
 */
import { PEERS, PEER_TABLES, type Peer } from './peer-tables.js';
import type { Driver } from '../db/driver.js';
import { MigsealError } from '../errors.js';
import type { History } from './history.js';

export interface ForeignHistory {
  peer: Peer;
  table: string;
}

/** The peer tools whose history table this database holds; none when migseal's own history exists. */
export async function findForeignHistory(driver: Driver, history: History): Promise<ForeignHistory[]> {
  if (history.exists) return [];
  const found: ForeignHistory[] = [];
  for (const peer of PEERS) {
    const table = PEER_TABLES[peer];
    if (!(await driver.hasTable(table))) continue;
    // golang-migrate and dbmate share the name: golang-migrate's table has a dirty column.
    if (table === PEER_TABLES['golang-migrate'] && (await hasDirtyColumn(driver)) !== (peer === 'golang-migrate')) continue;
    found.push({ peer, table });
  }
  return found;
}

export function checkNoForeignHistory(found: readonly ForeignHistory[], target: string, unrelated: boolean): void {
  const first = found[0];
  if (!first || unrelated) return;
  throw new MigsealError(
    'MANAGED_BY_ANOTHER_TOOL',
    `${target} holds ${first.peer}'s history table ${first.table} and no migseal history, so apply would run every migration again. ` +
      `Take the database over first: migseal adopt BUNDLE --from ${first.peer} --trust POLICY --db ${target}. ` +
      `If that table belongs to something else, pass --peer-table-unrelated.`,
    { details: { peers: found.map((f) => f.peer), tables: found.map((f) => f.table) } },
  );
}

async function hasDirtyColumn(driver: Driver): Promise<boolean> {
  try {
    await driver.query(`SELECT dirty FROM ${PEER_TABLES['golang-migrate']} WHERE 1 = 0`);
    return true;
  } catch {
    return false;
  }
}
