/**
 * Checks an audit log's chain from the first line to the last and names the first record
 * that breaks it. Removing records from the end leaves a shorter chain that still holds:
 * compare `records` and `lastHash` with a copy kept elsewhere to catch that.
 */
import { readFileSync } from 'node:fs';
import { MigsealError } from '../errors.js';
import { cannotRead } from '../read-error.js';
import { decodeUtf8Strict, parseStrictJson } from '../format/strict-json.js';
import { canonicalLine, GENESIS, recordHash, sha256Hex } from './record.js';

export interface AuditVerification {
  ok: boolean;
  /** Lines in the file (records, intact or not). */
  records: number;
  /** SHA-256 of the last line's bytes when the chain holds: the value the next record's `prev` takes. */
  lastHash?: string;
  firstBroken?: { line: number; reason: string };
}

const HEX64 = /^[0-9a-f]{64}$/;

export function verifyAuditLog(path: string): AuditVerification {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw cannotRead('audit log', path, error);
  }
  const lines = splitLines(bytes);
  let prev = GENESIS;
  for (const [index, line] of lines.entries()) {
    const number = index + 1;
    const reason = line.complete ? checkLine(line.bytes, number, prev) : 'the line is incomplete (no newline at the end of the file): a truncated or interrupted write';
    if (reason) return { ok: false, records: lines.length, firstBroken: { line: number, reason } };
    prev = sha256Hex(line.bytes);
  }
  return { ok: true, records: lines.length, ...(lines.length > 0 && { lastHash: prev }) };
}

function splitLines(bytes: Buffer): { bytes: Buffer; complete: boolean }[] {
  const lines: { bytes: Buffer; complete: boolean }[] = [];
  let start = 0;
  while (start < bytes.length) {
    const newline = bytes.indexOf(0x0a, start);
    if (newline < 0) {
      lines.push({ bytes: bytes.subarray(start), complete: false });
      break;
    }
    lines.push({ bytes: bytes.subarray(start, newline), complete: true });
    start = newline + 1;
  }
  return lines;
}

/** Returns why the line breaks the chain, or undefined when it holds. */
function checkLine(bytes: Buffer, number: number, expectedPrev: string): string | undefined {
  let text: string;
  let record: Record<string, unknown>;
  try {
    text = decodeUtf8Strict(bytes);
    const parsed = parseStrictJson(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'the line is not a JSON object';
    record = parsed;
  } catch (error) {
    return `the line is not valid JSON (${(error as Error).message})`;
  }
  const { seq, prev, hash } = record;
  if (typeof seq !== 'number' || typeof prev !== 'string' || !HEX64.test(prev) || typeof hash !== 'string' || !HEX64.test(hash)) {
    return 'the record lacks a valid seq, prev or hash field';
  }
  for (const field of ['time', 'host', 'user']) if (typeof record[field] !== 'string') return `the record lacks its ${field} field`;
  if (canonicalLine(record) !== text) return 'the line is not in canonical form (it was re-serialized or edited)';
  if (recordHash(record) !== hash) return "the hash does not match the record's content (the record was edited)";
  if (seq !== number) return `seq is ${seq} on line ${number} (a record was removed, inserted or moved)`;
  if (prev !== expectedPrev) return `prev does not match the previous line (line ${number - 1} was changed, or a record was removed, inserted or moved)`;
  return undefined;
}
