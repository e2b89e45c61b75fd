/**
 * A worker thread that runs one dialect's analysis (analyzeMigrations) while the thread that
 * started it runs another's. Given the migrations and the bytes of their scripts, it answers
 * with the findings, exactly those analyzeMigrations gives in the thread that asks.
 */
import { parentPort } from 'node:worker_threads';
import type { ManifestMigration } from '../format/manifest.js';
import { analyzeMigrations } from './analyze.js';
import type { LintDialect } from './types.js';

export interface AnalysisRequest {
  migrations: ManifestMigration[];
  scripts: Map<string, Uint8Array>;
  dialect: LintDialect;
}

parentPort?.once('message', (request: AnalysisRequest) => {
  try {
    const read = (path: string): Buffer => {
      const bytes = request.scripts.get(path)!;
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    };
    parentPort!.postMessage({ findings: analyzeMigrations({ migrations: request.migrations, read, dialect: request.dialect }) });
  } catch (error) {
    parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
