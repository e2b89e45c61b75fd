/**
 * Crash consistency, shared by the SQLite and PostgreSQL tests: a 200-migration apply is
 * killed with SIGKILL again and again on the same database, each time once a given number
 * of migrations is committed (plus a random few milliseconds, so most kills land inside a
 * migration's transaction), and finally re-run to the end.
 *
 * After every kill: each transactional migration is all there or not at all (its table,
 * its row in `ran` and its history row agree), applied migrations are a prefix of the
 * bundle, nothing is dirty, and the audit log's chain still holds. The last run exits 0.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import { verifyAuditLog } from '../../src/audit/log.js';
import { BIN } from '../helpers/cli.js';
import { counterMigrations } from '../helpers/release-world.js';

export const TOTAL = 200;

/**
 * 200 migrations that each take a few milliseconds (5,000 generated rows), so a kill has
 * a real transaction to interrupt. Valid on SQLite and PostgreSQL alike.
 */
export const CRASH_MIGRATIONS = counterMigrations(
  TOTAL,
  (i) => `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000) INSERT INTO t${i} (id) SELECT x FROM c;\n`,
);

/** Kill thresholds (committed migrations) for two chains, interleaved: 26 points over the run. */
export const CHAINS: number[][] = [
  [0, 1, 12, 30, 48, 66, 84, 102, 120, 138, 156, 174, 192],
  [0, 4, 21, 39, 57, 75, 93, 111, 129, 147, 165, 183, 197],
];

export interface DatabaseState {
  /** Versions with an applied history row. */
  history: number[];
  /** Versions whose table tN exists. */
  tables: number[];
  /** Values in `ran`, one per migration that ran. */
  ran: number[];
  dirty: number;
}

export interface CrashTarget {
  url: string;
  /** Committed history rows right now (0 before the tables exist, or when the database is busy). */
  applied(): Promise<number>;
  /** Waits until nothing of a killed runner is still at work in the database. */
  settle(): Promise<void>;
  state(): Promise<DatabaseState>;
}

export interface CrashRun {
  /** Committed migrations found after each kill, in order. */
  killedAt: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startApply(args: string[], env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  return { child, exited, stderr: () => stderr, done: () => done };
}

/** Starts an apply and kills it once `threshold` migrations are committed (0: during start-up). */
async function killAt(target: CrashTarget, threshold: number, args: string[], env: Record<string, string | undefined>): Promise<'killed' | 'finished'> {
  const run = startApply(args, env);
  // Start-up (verification, lock, history) takes about 150-250 ms on a quiet machine: kill inside it.
  if (threshold === 0) await sleep(20 + Math.random() * 120);
  else while (!run.done() && (await target.applied()) < threshold) await sleep(3);
  if (!run.done()) {
    await sleep(Math.random() * 8);
    run.child.kill('SIGKILL');
  }
  const { code, signal } = await run.exited;
  if (signal === 'SIGKILL') return 'killed';
  expect(code, run.stderr()).toBe(0);
  return 'finished';
}

export function expectConsistent(state: DatabaseState): void {
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  expect(state.dirty).toBe(0);
  expect(sorted(state.tables)).toEqual(sorted(state.history));
  expect(sorted(state.ran)).toEqual(sorted(state.history));
  expect(sorted(state.history)).toEqual(Array.from({ length: state.history.length }, (_, i) => i + 1));
}

/** Runs one chain of kills on one database, then a final apply that must complete. */
export async function crashChain(
  target: CrashTarget,
  thresholds: number[],
  apply: { args: string[]; env: Record<string, string | undefined>; auditLog: string },
): Promise<CrashRun> {
  const killedAt: number[] = [];
  for (const threshold of thresholds) {
    const outcome = await killAt(target, threshold, apply.args, apply.env);
    await target.settle();
    const state = await target.state();
    expectConsistent(state);
    if (existsSync(apply.auditLog)) expect(verifyAuditLog(apply.auditLog).ok).toBe(true);
    if (process.env.CRASH_DEBUG) console.log(threshold, outcome, state.history.length);
    if (outcome === 'killed') killedAt.push(state.history.length);
  }
  const last = startApply(apply.args, apply.env);
  const { code } = await last.exited;
  expect(code, last.stderr()).toBe(0);
  const final = await target.state();
  expectConsistent(final);
  expect(final.history).toHaveLength(TOTAL);
  expect(verifyAuditLog(apply.auditLog).ok).toBe(true);
  return { killedAt };
}

/** Distinct kill points that landed before the apply was complete. */
export function distinctPoints(runs: CrashRun[]): number {
  return new Set(runs.flatMap((r) => r.killedAt.filter((n) => n < TOTAL))).size;
}
