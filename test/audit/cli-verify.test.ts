/** `migseal audit-log verify` against logs written by the library and then tampered with for real. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditRecord } from '../../src/audit/log.js';
import { jsonOf, runCli } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/fixtures.js';

let dir: string;
let intact: string;
let original: string[];

beforeAll(() => {
  dir = tempDir('migseal-audit-cli-');
  intact = join(dir, 'intact.jsonl');
  for (const [i, event] of ['plan', 'apply', 'refusal', 'rollback', 'resolve'].entries()) {
    appendAuditRecord(intact, { event, release: String(40 + i) }, { env: {} });
  }
  original = readFileSync(intact, 'utf8').split('\n').slice(0, -1);
});
afterAll(() => removeDir(dir));

function tampered(name: string, lines: string[], trailingNewline = true): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + (trailingNewline ? '\n' : ''));
  return path;
}

async function expectBroken(path: string, line: number, reason: RegExp): Promise<void> {
  const result = await runCli(['audit-log', 'verify', path]);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(new RegExp(`refused: The audit log .* breaks at record ${line} of \\d+: `));
  expect(result.stderr).toMatch(reason);
  const json = jsonOf(await runCli(['audit-log', 'verify', path, '--json']));
  expect(json).toMatchObject({ ok: false, code: 'AUDIT_CHAIN_BROKEN', exitCode: 2, details: { firstBroken: { line } } });
}

describe('T4.11 migseal audit-log verify', () => {
  it('accepts an intact chain with exit 0', async () => {
    const result = await runCli(['audit-log', 'verify', intact]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('5 records, chain intact');
    expect(jsonOf(await runCli(['audit-log', 'verify', intact, '--json']))).toMatchObject({ ok: true, records: 5 });
  });

  it('names an edited record (one value changed, hash left as it was)', async () => {
    const lines = [...original];
    lines[2] = lines[2]!.replace('"release":"42"', '"release":"99"');
    expect(lines[2]).not.toBe(original[2]);
    await expectBroken(tampered('edited.jsonl', lines), 3, /hash does not match/);
  });

  it('names the record after a deleted one', async () => {
    await expectBroken(tampered('deleted.jsonl', original.filter((_, i) => i !== 1)), 2, /seq is 3 on line 2/);
  });

  it('names the first of two swapped records', async () => {
    const lines = [...original];
    [lines[3], lines[1]] = [lines[1]!, lines[3]!];
    await expectBroken(tampered('reordered.jsonl', lines), 2, /seq is 4 on line 2/);
  });

  it('names a truncated last line', async () => {
    const lines = [...original];
    lines[4] = lines[4]!.slice(0, 40);
    await expectBroken(tampered('truncated.jsonl', lines, false), 5, /incomplete/);
  });

  it('names an inserted record copied from elsewhere in the log', async () => {
    const lines = [...original];
    lines.splice(3, 0, original[0]!);
    await expectBroken(tampered('inserted.jsonl', lines), 4, /seq is 1 on line 4/);
  });

  it('reports a missing file as an I/O error (exit 1)', async () => {
    const result = await runCli(['audit-log', 'verify', join(dir, 'nope.jsonl')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Cannot read the audit log');
  });
});
