/**
 * The apply floor: one connection, each migration file in its own transaction, nothing
 * else (no verification, no history). Usage: node bench/apply-floor.mjs postgres URL DIR | sqlite PATH DIR
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [kind, target, dir] = process.argv.slice(2);
const files = readdirSync(dir).filter((f) => f.endsWith('.up.sql')).sort();
if (kind === 'postgres') {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  for (const file of files) {
    await client.query('BEGIN');
    await client.query(readFileSync(join(dir, file), 'utf8'));
    await client.query('COMMIT');
  }
  await client.end();
} else {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(target);
  for (const file of files) {
    db.exec('BEGIN IMMEDIATE');
    db.exec(readFileSync(join(dir, file), 'utf8'));
    db.exec('COMMIT');
  }
  db.close();
}
