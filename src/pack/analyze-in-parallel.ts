/**
 * Pack's analysis under every dialect a bundle may run on: the first in this thread, the
 * others each in a worker thread at the same time, when the built worker is at hand (a run
 * from the TypeScript sources analyses them one after another). The findings are the same
 * either way, in the same order: each dialect's analysis is its own, start to end.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { ManifestMigration } from '../format/manifest.js';
import { analyzeMigrations, type Finding, type LintDialect } from '../lint/index.js';
import { analysisOrder, splittable, type ReadingState } from '../lint/analyze.js';
import type { AnalysisAnswer, AnalysisRequest } from '../lint/analysis-worker.js';
import { scriptPaths } from '../lint/analysis-scripts.js';

/** Where the build puts the worker: dist/chunks/, beside the chunk that holds this code, below dist/, or beside dist/commands/. */
function builtWorker(): URL | undefined {
  for (const relative of ['./analysis-worker.js', './chunks/analysis-worker.js', '../chunks/analysis-worker.js']) {
    const url = new URL(relative, import.meta.url);
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}

/**
 * Starts a worker for every dialect after the first, before the folder is read, so they load
 * while this thread works; they hold the process open only while they are waited for. The
 * function returned analyses for the dialects the folder turned out to need: other workers
 * are stopped, and dialects without a worker are analysed here.
 */
export function startAnalysis(expected: readonly LintDialect[]): (dialects: readonly LintDialect[], migrations: ManifestMigration[], read: (path: string) => Buffer) => Promise<Finding[][]> {
  const url = expected.length > 1 ? builtWorker() : undefined;
  const started = url
    ? expected.slice(1).map(() => {
        const worker = new Worker(url);
        worker.unref();
        return worker;
      })
    : [];
  return async (dialects, migrations, read) => {
    const same = dialects.length === expected.length && dialects.every((d, i) => d === expected[i]);
    const workers = same ? started : [];
    if (!same) for (const worker of started) void worker.terminate();
    if (workers.length === 0) return dialects.map((dialect) => analyzeMigrations({ migrations, read, dialect }));
    // A dialect whose analysis may be split is shared: the worker takes the first scripts, this thread the
    // last ones once its own dialect is done, about as much as keeps both busy to the end.
    const order = analysisOrder(migrations);
    const splits = workers.map((_, i) => (splittable(dialects[i + 1]!) ? splitPoint(order, read) : order.length));
    const answers = workers.map((worker, i) => {
      const answer = new Promise<AnalysisAnswer>((resolve) => {
        worker.once('message', resolve);
        worker.once('error', () => resolve({}));
      });
      worker.ref();
      const { bytes, lengths } = scriptsInOne(migrations, read);
      const part = splits[i]! < order.length ? { part: { from: 0, to: splits[i]! } } : {};
      // The scripts' bytes move to the worker in one buffer, not copied one by one.
      worker.postMessage({ migrations, bytes, lengths, dialect: dialects[i + 1]!, ...part } satisfies AnalysisRequest, [bytes.buffer as ArrayBuffer, lengths.buffer as ArrayBuffer]);
      return answer;
    });
    try {
      const here = analyzeMigrations({ migrations, read, dialect: dialects[0]! });
      const there = await Promise.all(
        answers.map(async (pending, i) => {
          const dialect = dialects[i + 1]!;
          const split = splits[i]!;
          const rest = (reading: ReadingState): Finding[] => (split < order.length ? analyzeMigrations({ migrations, read, dialect, part: { from: split, to: order.length }, reading }) : []);
          // The rest is read as the first part leaves the reading state; as no statement changed it, before the answer comes.
          let last = rest({});
          const answer = await pending;
          // A worker that failed leaves its dialect to this thread: the same findings, later.
          if (answer.findings === undefined) return analyzeMigrations({ migrations, read, dialect });
          if (answer.reading?.changedAt !== undefined) last = rest({ ...answer.reading });
          return [...answer.findings, ...last];
        }),
      );
      return [here, ...there];
    } finally {
      for (const worker of workers) void worker.terminate();
    }
  };
}

/**
 * Where the worker's part of a split analysis ends: after the scripts that hold WORKER_SHARE of
 * the work, counted as each script's bytes and SCRIPT_COST more (this thread also has its own
 * dialect to analyse, about half as much work as SQLite's for the same scripts).
 */
function splitPoint(order: ReturnType<typeof analysisOrder>, read: (path: string) => Buffer): number {
  const costs = order.map(([m, direction]) => read((direction === 'up' ? m.up : m.down)!).length + SCRIPT_COST);
  const total = costs.reduce((a, b) => a + b, 0);
  let cost = 0;
  for (let i = 0; i < costs.length; i++) {
    cost += costs[i]!;
    if (cost >= total * WORKER_SHARE) return i + 1;
  }
  return costs.length;
}

const WORKER_SHARE = 0.75;
/** What analysing a script costs whatever its length, in bytes' worth (measured: about 7 us a script, 0.2 us a byte). */
const SCRIPT_COST = 40;

/** Every script the analysis reads, one after another in one buffer (in the order of scriptPaths), and each one's length. */
function scriptsInOne(migrations: readonly ManifestMigration[], read: (path: string) => Buffer): Pick<AnalysisRequest, 'bytes' | 'lengths'> {
  const parts = scriptPaths(migrations).map(read);
  const lengths = new Uint32Array(parts.length);
  const bytes = new Uint8Array(parts.reduce((n, data) => n + data.length, 0));
  let at = 0;
  parts.forEach((data, i) => {
    bytes.set(data, at);
    lengths[i] = data.length;
    at += data.length;
  });
  return { bytes, lengths };
}
