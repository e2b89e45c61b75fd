/**
 * Several real processes append to one audit log at once (and one is killed with SIGKILL
 * mid-stream): every record lands exactly once, numbered in order, and the chain holds.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../../src/audit/log.js';
import { removeDir, tempDir } from '../helpers/fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let worker: string;

beforeAll(() => {
  dir = tempDir('migseal-audit-concurrent-');
  const entry = join(dir, 'worker.ts');
  writeFileSync(
    entry,
    `import { appendAuditRecord } from ${JSON.stringify(join(ROOT, 'src/audit/log.ts'))};
const [path, id, count] = process.argv.slice(2);
for (let n = 0; n < Number(count); n++) appendAuditRecord(path, { event: 'apply', writer: Number(id), n });
`,
  );
  worker = join(ROOT, 'node_modules', '.cache', `audit-worker-${process.pid}.mjs`);
  buildSync({ entryPoints: [entry], outfile: worker, bundle: true, platform: 'node', format: 'esm', logLevel: 'error' });
});
afterAll(() => {
  removeDir(dir);
  rmSync(worker, { force: true });
});

function append(path: string, id: number, count: number): { done: Promise<number | null>; kill: () => void } {
  const child = spawn(process.execPath, [worker, path, String(id), String(count)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return {
    done: new Promise((resolve) => child.on('close', (code) => (code !== 0 && code !== null && console.error(stderr), resolve(code)))),
    kill: () => child.kill('SIGKILL'),
  };
}

describe('concurrent appends', () => {
  it('8 processes x 25 records: each record once, seq 1..200, chain intact', async () => {
    const path = join(dir, 'eight.jsonl');
    const codes = await Promise.all(Array.from({ length: 8 }, (_, id) => append(path, id, 25).done));
    expect(codes).toEqual(Array(8).fill(0));
    const records = readFileSync(path, 'utf8').split('\n').slice(0, -1).map((l) => JSON.parse(l) as { seq: number; writer: number; n: number });
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(new Set(records.map((r) => `${r.writer}:${r.n}`)).size).toBe(200);
    expect(verifyAuditLog(path)).toMatchObject({ ok: true, records: 200 });
  });

  it('a writer killed with SIGKILL leaves no stale lock and no broken chain', async () => {
    const path = join(dir, 'killed.jsonl');
    const victim = append(path, 99, 100_000);
    const others = [1, 2, 3].map((id) => append(path, id, 40));
    await new Promise((r) => setTimeout(r, 400));
    victim.kill();
    expect(await victim.done).toBeNull();
    expect(await Promise.all(others.map((o) => o.done))).toEqual([0, 0, 0]);
    const after = append(path, 4, 5);
    expect(await after.done).toBe(0);
    const result = verifyAuditLog(path);
    expect(result).toMatchObject({ ok: true });
    const records = readFileSync(path, 'utf8').split('\n').slice(0, -1).map((l) => JSON.parse(l) as { writer: number });
    expect(records.filter((r) => r.writer !== 99)).toHaveLength(125);
  });
});
