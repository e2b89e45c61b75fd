/**
 * The audit log's record scheme. A log is UTF-8 text, one record per line, each line the
 * canonical JSON of a record followed by "\n" (canonical: keys sorted by UTF-16 code units,
 * no whitespace, integers only; see `canonicalJson`). Every record carries:
 *
 *   seq   its line number, starting at 1
 *   time  when it was written (ISO 8601, UTC)
 *   host  the machine's host name
 *   user  the operating-system user that wrote it
 *   prev  SHA-256 (lowercase hex) of the previous line's exact bytes without its "\n";
 *         64 zeros on the first line
 *   hash  SHA-256 (lowercase hex) of the canonical JSON of the record without `hash`
 *
 * `hash` seals each record's content; `prev` chains it to the bytes before it, so an edited,
 * deleted, inserted or reordered record breaks the chain at that point.
 */
import { sha256Hex } from '../format/digest.js';
import { canonicalJson } from '../format/strict-json.js';

export const GENESIS = '0'.repeat(64);

/** Fields the log writes itself; a caller's record may not set them. */
export const RESERVED_FIELDS = Object.freeze(['seq', 'time', 'host', 'user', 'prev', 'hash'] as const);

export { sha256Hex };

/** Canonical JSON of a record without its trailing newline. */
export function canonicalLine(record: Record<string, unknown>): string {
  return canonicalJson(record).slice(0, -1);
}

/** The `hash` field's value: SHA-256 over the canonical JSON of everything but `hash`. */
export function recordHash(record: Record<string, unknown>): string {
  const { hash: _ignored, ...rest } = record;
  return sha256Hex(canonicalLine(rest));
}

/** Seals a record: adds `hash` and returns the exact line to append (with its "\n"). */
export function sealRecord(record: Record<string, unknown>): string {
  return `${canonicalLine({ ...record, hash: recordHash(record) })}\n`;
}
