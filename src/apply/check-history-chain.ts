/**
 * Checks that migseal's history is what migseal wrote (T5.11): the chain's entries are
 * numbered from 1 without a gap, each carries the hash of the one before it and its own
 * hash recomputes; and replaying them gives exactly the rows the tables hold. The first
 * entry or row that does not match refuses with HISTORY_TAMPERED (exit 2).
 *
 * What this catches alone: a row added, removed or changed in any history table, an entry
 * edited, removed or inserted in the middle of the chain. What it cannot catch alone: the
 * newest entries removed together with what they wrote, or the whole chain recomputed by
 * someone who knows the scheme; `migseal audit-log verify --db` catches those against the
 * audit log, whose records the runs anchor.
 */
import { MigsealError } from '../errors.js';
import { entryHash, GENESIS, type ChainBody, type ChainEntry } from './history-chain.js';
import type { AppliedMigration, RecordedBackup, RecordedFingerprint, ReleaseMarker, RunRecord } from './history.js';

export interface ChainStatus {
  intact: true;
  entries: number;
  /** SHA-256 of the newest entry (GENESIS when empty): an auditor can keep it to catch a shortened chain. */
  head: string;
  /** When the chain began over history an older migseal had written (that history is covered as it stood then). */
  since: string | undefined;
}

export interface HistoryTables {
  migrations: AppliedMigration[];
  runs: RunRecord[];
  markers: ReleaseMarker[];
  markerIds: number[];
  /** The fingerprints recorded after runs (empty when the table is not there yet). */
  fingerprints: RecordedFingerprint[];
  /** The backups runs took (empty when the table is not there yet). */
  backups?: RecordedBackup[];
  /** The runs table has the audit column that came with the chain. */
  chained: boolean;
}

export function checkHistoryChain(entries: readonly ChainEntry[], tables: HistoryTables, target: string): ChainStatus {
  const tampered = (message: string, details: Record<string, unknown>): MigsealError =>
    new MigsealError('HISTORY_TAMPERED', `migseal's history in ${target} was changed outside migseal: ${message}. Nothing was run; compare the database with the audit log (migseal audit-log verify LOG --db URL) before anything else.`, { details });

  // The chain itself.
  let prev = GENESIS;
  const bodies: Array<{ seq: number; body: ChainBody }> = [];
  for (const [index, entry] of entries.entries()) {
    const expected = index + 1;
    if (entry.seq !== expected) throw tampered(`history entry ${expected} is missing (the entries jump to ${entry.seq})`, { entry: expected });
    if (entry.prevHash !== prev) throw tampered(`history entry ${entry.seq} does not follow entry ${entry.seq - 1} (its previous hash differs)`, { entry: entry.seq });
    if (entryHash(entry.prevHash, entry.seq, entry.runId, entry.body) !== entry.hash) throw tampered(`history entry ${entry.seq} does not match its hash (it was edited)`, { entry: entry.seq });
    let body: ChainBody;
    try {
      body = JSON.parse(entry.body) as ChainBody;
    } catch {
      throw tampered(`history entry ${entry.seq} is not readable`, { entry: entry.seq });
    }
    bodies.push({ seq: entry.seq, body });
    prev = entry.hash;
  }

  // What the chain says the tables hold.
  const migrations = new Map<string, { row: AppliedMigration; seq: number }>();
  const runs = new Map<string, { row: RunRecord; seq: number }>();
  const fingerprints = new Map<string, { row: RecordedFingerprint; seq: number }>();
  const backups = new Map<string, { row: RecordedBackup; seq: number }>();
  let marker: { row: ReleaseMarker; seq: number } | undefined;
  let since: string | undefined;
  for (const { seq, body } of bodies) {
    switch (`${body.table}:${body.op}`) {
      case 'all:snapshot': {
        const b = body as Extract<ChainBody, { op: 'snapshot' }>;
        since = b.at;
        for (const row of b.migrations) migrations.set(row.key, { row, seq });
        for (const row of b.runs) runs.set(row.runId, { row, seq });
        marker = b.release ? { row: b.release, seq } : undefined;
        break;
      }
      case 'runs:start': {
        const { row } = body as Extract<ChainBody, { op: 'start' }>;
        runs.set(row.runId, { row, seq });
        break;
      }
      case 'runs:finish': {
        const b = body as Extract<ChainBody, { op: 'finish' }>;
        const run = runs.get(b.runId);
        if (run) runs.set(b.runId, { row: { ...run.row, finishedAt: b.finishedAt, outcome: b.outcome, error: b.error }, seq });
        break;
      }
      case 'runs:interrupt': {
        const b = body as Extract<ChainBody, { op: 'interrupt' }>;
        for (const [id, run] of runs) if (run.row.outcome === 'running') runs.set(id, { row: { ...run.row, outcome: 'interrupted', finishedAt: b.finishedAt }, seq });
        break;
      }
      case 'migrations:write': {
        const { row } = body as Extract<ChainBody, { table: 'migrations'; op: 'write' }>;
        migrations.set(row.key, { row, seq });
        break;
      }
      case 'migrations:state': {
        const b = body as Extract<ChainBody, { op: 'state' }>;
        const m = migrations.get(b.key);
        if (m) migrations.set(b.key, { row: { ...m.row, state: b.state, runId: b.runId, note: b.note }, seq });
        break;
      }
      case 'backups:record': {
        const { row } = body as Extract<ChainBody, { table: 'backups' }>;
        backups.set(row.runId, { row, seq });
        break;
      }
      case 'fingerprints:record': {
        const { row } = body as Extract<ChainBody, { table: 'fingerprints' }>;
        fingerprints.set(row.runId, { row, seq });
        break;
      }
      case 'release:write':
        marker = { row: (body as Extract<ChainBody, { table: 'release' }>).row, seq };
        break;
      default:
        throw tampered(`history entry ${seq} says something migseal never writes`, { entry: seq });
    }
  }

  // The tables against it, row by row.
  compareRows('migseal_migrations', 'migration', tables.migrations, (m) => m.key, migrations, tampered);
  compareRows('migseal_runs', 'run', tables.runs, (r) => r.runId, runs, tampered);
  compareRows('migseal_fingerprints', 'fingerprint', tables.fingerprints, (f) => f.runId, fingerprints, tampered);
  compareRows('migseal_backups', 'backup', tables.backups ?? [], (b) => b.runId, backups, tampered);
  const extraMarker = tables.markerIds.find((id) => id !== 1);
  if (extraMarker !== undefined) throw tampered(`migseal_release has a row ${extraMarker} that no history entry wrote`, { table: 'migseal_release' });
  const actualMarker = tables.markers[tables.markerIds.indexOf(1)];
  if (!actualMarker && marker) throw tampered(`the release marker is missing (history entry ${marker.seq} wrote release ${marker.row.release})`, { table: 'migseal_release', entry: marker.seq });
  if (actualMarker && !marker) throw tampered(`the release marker (release ${actualMarker.release}) was written by no history entry`, { table: 'migseal_release' });
  if (actualMarker && marker && same(actualMarker, marker.row) !== undefined) {
    throw tampered(`the release marker does not match history entry ${marker.seq} (${same(actualMarker, marker.row)})`, { table: 'migseal_release', entry: marker.seq });
  }
  return { intact: true, entries: entries.length, head: prev, since };
}

function compareRows<T extends object>(
  table: string,
  noun: string,
  actual: readonly T[],
  keyOf: (row: T) => string,
  expected: Map<string, { row: T; seq: number }>,
  tampered: (message: string, details: Record<string, unknown>) => MigsealError,
): void {
  const seen = new Set<string>();
  for (const row of actual) {
    const key = keyOf(row);
    seen.add(key);
    const want = expected.get(key);
    if (!want) throw tampered(`${table} row ${JSON.stringify(key)} was written by no history entry (it was added outside migseal)`, { table, row: key });
    const differs = same(row, want.row);
    if (differs !== undefined) throw tampered(`${table} row ${JSON.stringify(key)} does not match history entry ${want.seq} (${differs})`, { table, row: key, entry: want.seq });
  }
  for (const [key, want] of expected) {
    if (!seen.has(key)) throw tampered(`${table} row ${JSON.stringify(key)} is missing (history entry ${want.seq} recorded this ${noun})`, { table, row: key, entry: want.seq });
  }
}

/** undefined when both hold the same values; else the first field that differs, as "field: recorded → found". */
function same(found: object, recorded: object): string | undefined {
  const a = found as Record<string, unknown>;
  const b = recorded as Record<string, unknown>;
  for (const field of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[field] ?? null) !== JSON.stringify(b[field] ?? null)) {
      return `${field}: ${short(b[field])} → ${short(a[field])}`;
    }
  }
  return undefined;
}

const short = (v: unknown): string => {
  const text = JSON.stringify(v ?? null);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
};
