/**
 * Rewrites an audit log as someone who can write the file and knows its scheme would: the
 * lines changed as asked, then every seq, prev and hash recomputed so the log's own chain
 * holds again. Used to show what only the database anchor catches.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { GENESIS, sealRecord, sha256Hex } from '../../src/audit/record.js';

export type LogRecord = Record<string, unknown>;

export function rechain(path: string, change: (records: LogRecord[]) => LogRecord[]): void {
  const records = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LogRecord);
  let prev = GENESIS;
  const out: string[] = [];
  for (const [i, record] of change(records).entries()) {
    const { hash: _old, ...rest } = record;
    const line = sealRecord({ ...rest, seq: i + 1, prev });
    out.push(line);
    prev = sha256Hex(line.slice(0, -1));
  }
  writeFileSync(path, out.join(''));
}
