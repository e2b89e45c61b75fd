/**
 * Peer-compatible history: when a bundle's layout belongs to a tool that keeps a history
 * table, apply, rollback and resolve keep that table as the tool itself would, in the same
 * transaction as the migration and migseal's own row (migseal's history stays the source of
 * truth for its checks). The choice is made at pack time and signed in the manifest
 * (`peerHistory`); this module turns it into statements for a driver.
 */
import { randomUUID } from 'node:crypto';
import type { Driver } from '../db/driver.js';
import { MigsealError } from '../errors.js';
import type { Manifest, ManifestMigration, PeerHistorySetting } from '../format/manifest.js';
import { dbmate } from './dbmate.js';
import { diesel } from './diesel.js';
import { flyway } from './flyway.js';
import { golangMigrate } from './golang-migrate.js';
import { prisma } from './prisma.js';
import type { PeerStatement, PeerStep, PeerTarget, PeerTool, PeerWriter } from './writer.js';

export { PEER_TOOLS, type PeerTool } from './writer.js';

const WRITERS: Record<PeerTool, PeerWriter> = { 'golang-migrate': golangMigrate, dbmate, prisma, diesel, flyway };
/** The layouts whose tool keeps a history table (Atlas and Doctrine are left to their own tools). */
const BY_LAYOUT: Record<string, PeerTool> = { 'golang-migrate': 'golang-migrate', dbmate: 'dbmate', prisma: 'prisma', diesel: 'diesel', flyway: 'flyway' };
/** A table name: `name` or `schema.name`, plain identifiers. */
export const PEER_TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

/** What pack records for a layout: keep (the default) with the tool's table, or off. */
export function peerHistoryFor(layout: string, mode: string | undefined, table: string | undefined): PeerHistorySetting | undefined {
  const tool = BY_LAYOUT[layout];
  if (mode !== undefined && mode !== 'keep' && mode !== 'off') throw new MigsealError('USAGE', `--peer-history takes keep or off, not "${mode}".`);
  if (!tool) {
    if (mode === 'keep' || table !== undefined) throw new MigsealError('USAGE', `The ${layout} layout has no peer history table to keep; --peer-history applies to ${Object.keys(BY_LAYOUT).join(', ')}.`);
    return undefined;
  }
  if (table !== undefined && !PEER_TABLE.test(table)) throw new MigsealError('USAGE', `--peer-table must be a table name like schema_migrations or app.schema_migrations, not "${table}".`);
  if (table !== undefined && (tool === 'prisma' || tool === 'diesel')) throw new MigsealError('USAGE', `${tool} always keeps its history in ${WRITERS[tool].defaultTable}; --peer-table does not apply.`);
  return { tool, table: table ?? WRITERS[tool].defaultTable, keep: mode !== 'off' };
}

/** A kept table under another name than the tool's default: resolve finds it only through the bundle that names it. */
export function customPeerTable(setting: PeerHistorySetting | undefined): string | undefined {
  return setting?.keep && setting.table !== WRITERS[setting.tool].defaultTable ? setting.table : undefined;
}

/** How plan and inspect say it. */
export function describePeerHistory(setting: PeerHistorySetting | undefined): string {
  if (!setting) return 'none (the layout has no peer history table)';
  return setting.keep ? `kept: ${setting.tool} ${setting.table}, written with each migration` : `off: ${setting.tool}'s ${setting.table} is not written`;
}

/** The peer table one command keeps, bound to a driver; undefined when there is none to keep. */
export interface PeerHistoryKeeper {
  tool: PeerTool;
  table: string;
  /** Creates the tool's table if missing, in its own transaction, as the tool does before it runs anything. */
  prepare(): Promise<void>;
  step(migration: ManifestMigration, script: Buffer, scriptPath: string, previousVersion?: string): PeerStepKeeper;
}

export interface PeerStepKeeper {
  beforeUp(): Promise<void>;
  afterUp(durationMs: number): Promise<void>;
  upFailed(message: string): Promise<void>;
  beforeDown(): Promise<void>;
  afterDown(durationMs: number): Promise<void>;
}

export function peerHistoryKeeper(manifest: Pick<Manifest, 'peerHistory'>, driver: Driver): PeerHistoryKeeper | undefined {
  const setting = manifest.peerHistory;
  if (!setting || !setting.keep) return undefined;
  const writer = WRITERS[setting.tool];
  const target = peerTarget(driver, setting.table);
  // A migration's rows travel with the statements around them (PostgreSQL: ahead of the script, or with the COMMIT), in order.
  const run = async (statements: PeerStatement[]): Promise<void> => {
    for (const s of statements) await driver.query(s.sql, s.params, { repeated: true, atCommit: true });
  };
  return {
    tool: setting.tool,
    table: setting.table,
    async prepare() {
      if (await driver.hasTable(driver.dialect === 'postgres' ? target.table : target.name)) return;
      await driver.transaction(async () => {
        for (const sql of writer.create(target)) await driver.query(sql);
      });
    },
    step(migration, script, scriptPath, previousVersion) {
      const startedAt = new Date().toISOString();
      const id = randomUUID();
      const facts = (durationMs: number): PeerStep => ({
        migration,
        script,
        scriptPath,
        durationMs,
        id,
        startedAt,
        finishedAt: new Date().toISOString(),
        ...(previousVersion !== undefined && { previousVersion }),
      });
      return {
        beforeUp: () => run(writer.beforeUp(target, facts(0))),
        afterUp: (ms) => run(writer.afterUp(target, facts(ms))),
        upFailed: (message) => run(writer.upFailed(target, facts(0), message)),
        beforeDown: () => run(writer.beforeDown(target, facts(0))),
        afterDown: (ms) => run(writer.afterDown(target, facts(ms))),
      };
    },
  };
}

/**
 * golang-migrate and dbmate both name their table schema_migrations. When the table the bundle keeps
 * exists with the other tool's shape, writing it would fail half-way: apply refuses before anything
 * runs, unless the operator said the table is unrelated (--peer-table-unrelated), and then leaves it
 * alone. Returns whether to keep the table in this run.
 */
export async function peerTableUsable(manifest: Pick<Manifest, 'peerHistory'>, driver: Driver, unrelated: boolean): Promise<boolean> {
  const setting = manifest.peerHistory;
  if (!setting?.keep || (setting.tool !== 'golang-migrate' && setting.tool !== 'dbmate')) return true;
  const target = peerTarget(driver, setting.table);
  if (!(await driver.hasTable(driver.dialect === 'postgres' ? target.table : target.name))) return true;
  const dirty =
    driver.dialect === 'postgres'
      ? await driver.query("SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname = 'dirty' AND NOT attisdropped", [target.table])
      : await driver.query("SELECT 1 FROM pragma_table_info(?) WHERE name = 'dirty'", [target.name]);
  if ((dirty.length > 0) === (setting.tool === 'golang-migrate')) return true;
  if (unrelated) return false;
  const other = setting.tool === 'golang-migrate' ? 'dbmate' : 'golang-migrate';
  throw new MigsealError(
    'MANAGED_BY_ANOTHER_TOOL',
    `${driver.target} holds a ${setting.table} table shaped as ${other}'s, but this bundle keeps ${setting.tool}'s history there; ` +
      `pass --peer-table-unrelated to leave that table alone, or pack with --peer-table NAME or --peer-history off.`,
    { details: { table: setting.table, tool: setting.tool } },
  );
}

export function peerTarget(driver: Driver, table: string): PeerTarget {
  const parts = table.split('.');
  const name = parts[parts.length - 1]!;
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  if (driver.dialect === 'sqlite') return { dialect: 'sqlite', table: parts.map(quote).join('.'), name };
  // Unqualified: the schema migseal's own tables live in, fixed at connect time (the tools use the session's current schema).
  return { dialect: 'postgres', table: parts.length === 2 ? parts.map(quote).join('.') : driver.sessionTable(quote(name)), name };
}
