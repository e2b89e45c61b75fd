/**
 * A worker thread that runs one dialect's analysis (analyzeMigrations) while the thread that
 * started it runs another's (or the first part of it, the asking thread analysing the rest). Given
 * the migrations and the bytes of their scripts, it answers with the findings, exactly those
 * analyzeMigrations gives in the thread that asks.
 */
import { parentPort } from 'node:worker_threads';
import type { ManifestMigration } from '../format/manifest.js';
import { analyzeMigrations, type ReadingState } from './analyze.js';
import { scriptPaths } from './analysis-scripts.js';
import type { Finding, LintDialect } from './types.js';

export interface AnalysisRequest {
  migrations: ManifestMigration[];
  /** The scripts' bytes, one after another, in the order of scriptPaths(migrations) (./analysis-scripts.ts). */
  bytes: Uint8Array;
  /** Each script's length in bytes, in the same order. */
  lengths: Uint32Array;
  dialect: LintDialect;
  /** Only these scripts of analysisOrder, for a dialect that may be split (see splittable in ./analyze.ts). */
  part?: { from: number; to: number };
}

/** The findings, and the reading state the last script left (for the part after this one); or why there are none. */
export interface AnalysisAnswer {
  findings?: Finding[];
  reading?: ReadingState;
  error?: string;
}

parentPort?.once('message', (request: AnalysisRequest) => {
  try {
    const { buffer, byteOffset } = request.bytes;
    const scripts = new Map<string, Buffer>();
    let at = byteOffset;
    scriptPaths(request.migrations).forEach((path, i) => {
      scripts.set(path, Buffer.from(buffer, at, request.lengths[i]!));
      at += request.lengths[i]!;
    });
    const read = (path: string): Buffer => scripts.get(path)!;
    const reading: ReadingState = {};
    const findings = analyzeMigrations({ migrations: request.migrations, read, dialect: request.dialect, reading, ...(request.part && { part: request.part }) });
    parentPort!.postMessage({ findings, reading } satisfies AnalysisAnswer);
  } catch (error) {
    parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) } satisfies AnalysisAnswer);
  }
});
