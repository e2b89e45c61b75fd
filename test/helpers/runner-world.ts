/**
 * Shared setup for runner tests: real keys, a real trust policy, bundles packed and signed
 * through the library, and a dump of a SQLite database (schema and every row) to prove that
 * a refusal changed nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { makeKey, packBundle, tempDir, writeMigrations, writePolicy, type TestKey } from './fixtures.js';
import { runCli, type CliResult } from './cli.js';
import { writeFileSync } from 'node:fs';

export interface RunnerWorld {
  dir: string;
  policy: string;
  release: TestKey;
  approver: TestKey;
  /** Packs files into a signed (release + approve) bundle file and returns its path. */
  bundle(name: string, files: Record<string, string>, options?: { release?: string; project?: string; dialect?: 'sqlite' | 'postgres' | 'any'; env?: Record<string, string>; expiresAt?: string; peerTable?: string }): Promise<string>;
  /** Runs the CLI in the world's folder with its audit log. */
  cli(args: string[], env?: Record<string, string | undefined>): Promise<CliResult>;
}

export function createWorld(prefix = 'migseal-apply-'): RunnerWorld {
  const dir = tempDir(prefix);
  const release = makeKey(dir, 'release');
  const approver = makeKey(dir, 'approver');
  const policy = writePolicy(dir, { keys: [{ key: release, roles: ['release'] }, { key: approver, roles: ['approve'] }] });
  let n = 0;
  return {
    dir,
    policy,
    release,
    approver,
    async bundle(name, files, options = {}) {
      const folder = writeMigrations(join(dir, `src-${name}-${n++}`), files);
      const bytes = await packBundle({
        dir: folder,
        release: options.release ?? '1',
        project: options.project ?? 'shop',
        dialect: options.dialect ?? 'sqlite',
        ...(options.env && { env: options.env }),
        ...(options.expiresAt && { expiresAt: options.expiresAt }),
        ...(options.peerTable && { peerTable: options.peerTable }),
        signers: [
          { signer: release.signer, role: 'release' },
          { signer: approver.signer, role: 'approve' },
        ],
      });
      const path = join(dir, `${name}.migseal`);
      writeFileSync(path, bytes);
      return path;
    },
    cli(args, env = {}) {
      return runCli(args, { cwd: dir, env: { MIGSEAL_AUDIT_LOG: join(dir, 'audit.jsonl'), ...env } });
    },
  };
}

/** Every table's definition and every row, in a stable order; '' for a database that does not exist. */
export function dumpSqlite(path: string): string {
  if (!existsSync(path)) return '';
  const db = new Database(path, { readonly: true });
  try {
    const objects = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").all() as Array<{ type: string; name: string; sql: string | null }>;
    const out = [JSON.stringify(objects)];
    for (const o of objects) {
      if (o.type !== 'table' || o.name.startsWith('sqlite_')) continue;
      out.push(o.name, JSON.stringify(db.prepare(`SELECT * FROM "${o.name}" ORDER BY rowid`).all()));
    }
    return out.join('\n');
  } finally {
    db.close();
  }
}

export function tableNames(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
  } finally {
    db.close();
  }
}

/** Runs SQL on a SQLite file outside migseal, as an operator's tool would. */
export function execSqlite(path: string, sql: string): void {
  const raw = new Database(path);
  try {
    raw.exec(sql);
  } finally {
    raw.close();
  }
}

export function rows(path: string, sql: string): Array<Record<string, unknown>> {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

/** Error code from a --json failure document. */
export { codeOf } from './refusal.js';

export const V1: Record<string, string> = {
  '1_create_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\nINSERT INTO users (email) VALUES (\'a@example.com\');\n',
  '1_create_users.down.sql': 'DROP TABLE users;\n',
  '2_create_orders.up.sql': 'CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), total INTEGER NOT NULL);\n',
  '2_create_orders.down.sql': 'DROP TABLE orders;\n',
};

export const V2: Record<string, string> = {
  ...V1,
  '3_index_orders.up.sql': 'CREATE INDEX orders_user ON orders(user_id);\n',
  '3_index_orders.down.sql': 'DROP INDEX orders_user;\n',
};
