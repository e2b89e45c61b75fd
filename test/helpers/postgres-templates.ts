/**
 * vitest's global setup for a test run: one folder where test/helpers/postgres.ts keeps the output of initdb for
 * each server version, made by the run's first cluster and copied by the others, and removed when the run ends.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresTemplates: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'migseal-initdb-'));
  // initdb runs as the server's user (nobody, under root) inside it.
  chmodSync(dir, 0o755);
  project.provide('postgresTemplates', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
