/**
 * Flyway's checksum of a SQL script: CRC32 over the UTF-8 bytes of each line with its line
 * ending removed (and a leading byte-order mark dropped), read as a signed 32-bit integer.
 */
import { crc32 } from 'node:zlib';

export function flywayChecksum(script: Buffer): number {
  let text = script.toString('utf8');
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  let crc = 0;
  for (const line of lines) crc = crc32(Buffer.from(line, 'utf8'), crc);
  return crc | 0;
}
