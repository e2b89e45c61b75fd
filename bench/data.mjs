/** Generates the bench's inputs in a temporary folder: migration folders, big files, a policy. */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** `count` golang-migrate migrations (an up and a down file each), a few hundred bytes apiece. */
export function writeMigrations(dir, count) {
  mkdirSync(dir, { recursive: true });
  for (let i = 1; i <= count; i++) {
    const prefix = `${String(i).padStart(6, '0')}_change_${i}`;
    writeFileSync(
      join(dir, `${prefix}.up.sql`),
      `CREATE TABLE items_${i} (\n  id BIGINT PRIMARY KEY,\n  name TEXT NOT NULL,\n  price_cents INTEGER NOT NULL DEFAULT ${i},\n  created_at TIMESTAMP NOT NULL\n);\nCREATE INDEX items_${i}_name ON items_${i} (name);\n`,
    );
    writeFileSync(join(dir, `${prefix}.down.sql`), `DROP TABLE items_${i};\n`);
  }
  return dir;
}

const CHUNK = 4 * 1024 * 1024;

/**
 * One migration carrying a `megabytes` MB file: random bytes (gzip cannot shrink them) or
 * SQL-like text with varying numbers (shrinks roughly 4x, well within the ratio cap). The big
 * file is the down migration: pack parses up migrations to decide their transaction mode,
 * which is not meant for files this size.
 */
export function writeBigMigration(dir, megabytes, kind) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '000001_seed_data.up.sql'), 'CREATE TABLE readings (id BIGINT, value BIGINT, tag TEXT, ratio REAL);\n');
  const path = join(dir, '000001_seed_data.down.sql');
  const fd = openSync(path, 'w');
  let left = megabytes * 1024 * 1024;
  let row = 0;
  while (left > 0) {
    let chunk;
    if (kind === 'random') chunk = randomBytes(Math.min(CHUNK, left));
    else {
      const lines = [];
      let size = 0;
      while (size < CHUNK) {
        const r = randomBytes(8);
        const text = `INSERT INTO readings VALUES (${row++}, ${r.readUInt32LE(0)}, '${r.toString('hex', 4, 8)}', ${r.readUInt16LE(4) / 100});\n`;
        lines.push(text);
        size += text.length;
      }
      chunk = Buffer.from(lines.join('')).subarray(0, Math.min(CHUNK, left));
    }
    writeSync(fd, chunk);
    left -= chunk.length;
  }
  closeSync(fd);
  return path;
}

export function writePolicy(dir, keyName) {
  const path = join(dir, 'trust.json');
  writeFileSync(
    path,
    JSON.stringify({ project: 'bench', keys: [{ id: 'release', publicKey: `${keyName}.pub`, roles: ['release'] }], environments: { default: { release: 1 } } }, null, 2),
  );
  return path;
}
