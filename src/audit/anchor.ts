/**
 * The audit log against the database (T5.18). A hash chain without a key can be recomputed
 * by whoever can write the file; the database keeps, for each run, the `hash` of the run's
 * "started" record. Comparing the two names:
 *   missing     a run the database recorded whose started record is not in the log;
 *   re-chained  a run whose started record is in the log with another hash (the record, or
 *               the chain before it, was rewritten);
 *   extra       a started record for this database naming a run the database never recorded.
 */
import { readFileSync } from 'node:fs';
import { MigsealError } from '../errors.js';
import { parseStrictJson } from '../format/strict-json.js';

export interface AnchoredRun {
  runId: string;
  /** null for runs recorded before runs were anchored. */
  auditHash: string | null;
}

export interface AnchorReport {
  ok: boolean;
  /** Runs whose started record matched. */
  matched: number;
  /** Runs the database recorded before anchoring (nothing to compare). */
  unanchored: number;
  missing: Array<{ runId: string; auditHash: string }>;
  rechained: Array<{ runId: string; line: number; logHash: string; databaseHash: string }>;
  extra: Array<{ runId: string; line: number }>;
}

interface StartedRecord {
  line: number;
  runId: string;
  hash: string;
  database: string;
}

/** The "started" records of a log (read after its own chain was checked). */
export function startedRecords(path: string): StartedRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new MigsealError('IO', `Cannot read the audit log ${path}.`, { cause: error });
  }
  const out: StartedRecord[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const record = parseStrictJson(line) as Record<string, unknown>;
    if (record.outcome === 'started' && typeof record.runId === 'string' && typeof record.hash === 'string') {
      out.push({ line: index + 1, runId: record.runId, hash: record.hash, database: String(record.database ?? '') });
    }
  }
  return out;
}

export function crossCheck(records: readonly StartedRecord[], runs: readonly AnchoredRun[], database: string): AnchorReport {
  const byRun = new Map<string, StartedRecord[]>();
  for (const r of records) byRun.set(r.runId, [...(byRun.get(r.runId) ?? []), r]);
  const report: AnchorReport = { ok: true, matched: 0, unanchored: 0, missing: [], rechained: [], extra: [] };
  const known = new Set<string>();
  for (const run of runs) {
    known.add(run.runId);
    if (run.auditHash === null) {
      report.unanchored++;
      continue;
    }
    const found = byRun.get(run.runId) ?? [];
    if (found.some((r) => r.hash === run.auditHash)) report.matched++;
    else if (found[0]) report.rechained.push({ runId: run.runId, line: found[0].line, logHash: found[0].hash, databaseHash: run.auditHash });
    else report.missing.push({ runId: run.runId, auditHash: run.auditHash });
  }
  for (const r of records) if (r.database === database && !known.has(r.runId)) report.extra.push({ runId: r.runId, line: r.line });
  report.ok = report.missing.length + report.rechained.length + report.extra.length === 0;
  return report;
}

/** One sentence naming the first of each kind of disagreement. */
export function describeDisagreement(report: AnchorReport, path: string, database: string): string {
  const parts: string[] = [];
  const [m] = report.missing;
  if (m) parts.push(`${report.missing.length} run(s) ${database} recorded have no started record in the log (first: run ${m.runId}, record sha256 ${m.auditHash.slice(0, 16)}…)`);
  const [r] = report.rechained;
  if (r) parts.push(`${report.rechained.length} record(s) were rewritten or re-chained (first: line ${r.line}, run ${r.runId}: the log has ${r.logHash.slice(0, 16)}…, the database recorded ${r.databaseHash.slice(0, 16)}…)`);
  const [e] = report.extra;
  if (e) parts.push(`${report.extra.length} started record(s) name runs ${database} never recorded (first: line ${e.line}, run ${e.runId})`);
  return `The audit log ${path} does not match the runs ${database} recorded: ${parts.join('; ')}.`;
}
