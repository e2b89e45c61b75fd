/**
 * The shape every peer tool's history writer has: pure functions from a migration to the
 * statements that tool itself would run against its own history table, so migseal can keep
 * that table in the same transaction as the migration and its own history row.
 */
import type { ManifestMigration } from '../format/manifest.js';

export const PEER_TOOLS = ['golang-migrate', 'dbmate', 'prisma', 'diesel', 'flyway'] as const;
export type PeerTool = (typeof PEER_TOOLS)[number];

export interface PeerStatement {
  sql: string;
  params: unknown[];
}

export interface PeerTarget {
  dialect: 'postgres' | 'sqlite';
  /** The table as written in SQL (schema-qualified and quoted on PostgreSQL). */
  table: string;
  /** Its bare name, for names the tool derives from it (Flyway's index). */
  name: string;
}

export interface PeerStep {
  migration: ManifestMigration;
  /** The bytes of the script being run (the up, or the down), for the tools that checksum it. */
  script: Buffer;
  /** The path of that script in the folder, as the tool records it (Flyway). */
  scriptPath: string;
  durationMs: number;
  /** A fresh row id (Prisma keeps a UUID per attempt). */
  id: string;
  startedAt: string;
  finishedAt: string;
  /** golang-migrate's down target: the version before this one in the folder (none: the first). */
  previousVersion?: string;
}

export interface PeerWriter {
  tool: PeerTool;
  defaultTable: string;
  /** The tool's own DDL for its table, run when the table is missing. */
  create(t: PeerTarget): string[];
  /** Before the script: what the tool writes (and commits) before it runs one. */
  beforeUp(t: PeerTarget, s: PeerStep): PeerStatement[];
  /** After the script, with it: what the tool writes once the script succeeded. */
  afterUp(t: PeerTarget, s: PeerStep): PeerStatement[];
  /** After a script failed outside a transaction: what the tool leaves behind. */
  upFailed(t: PeerTarget, s: PeerStep, message: string): PeerStatement[];
  beforeDown(t: PeerTarget, s: PeerStep): PeerStatement[];
  afterDown(t: PeerTarget, s: PeerStep): PeerStatement[];
}

export const stmt = (sql: string, ...params: unknown[]): PeerStatement => ({ sql, params });
