/**
 * A real world for audit reports: releases packed and signed for real (release + approve
 * keys), a SQLite database that `migseal apply` brought to release 1, and release 2 whose
 * migration 2 differs from what was applied (drift) and whose migration 4 is new (pending).
 * Release 2 was packed in GitHub Actions, so its signed provenance names the workflow, the
 * repository, the ref, the commit and the run; release 1 was packed locally.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { encodeBundle } from '../../src/format/bundle-encode.js';
import { parseManifest, serializeManifest } from '../../src/format/manifest.js';
import { sealBundle } from '../helpers/verify-world.js';
import { createWorld, type RunnerWorld } from '../helpers/runner-world.js';

export const RELEASE_1: Record<string, string> = {
  '1_create_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, legacy TEXT);\n',
  '1_create_users.down.sql': 'DROP TABLE users;\n',
  '2_create_orders.up.sql': 'CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, total INTEGER NOT NULL);\n',
  '2_create_orders.down.sql': 'DROP TABLE orders;\n',
  '3_drop_legacy.up.sql': 'ALTER TABLE users DROP COLUMN legacy;\n',
  '3_drop_legacy.down.sql': 'ALTER TABLE users ADD COLUMN legacy TEXT;\n',
};

export const RELEASE_2: Record<string, string> = {
  ...RELEASE_1,
  '2_create_orders.up.sql': 'CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, total INTEGER NOT NULL, note TEXT);\n',
  '4_index_orders.up.sql': 'CREATE INDEX orders_user ON orders(user_id);\n',
  '4_index_orders.down.sql': 'DROP INDEX orders_user;\n',
};

export const COMMIT = '3f2a9c4e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39';
export const GITHUB_ACTIONS: Record<string, string> = {
  GITHUB_ACTIONS: 'true',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_SHA: COMMIT,
  GITHUB_REF: 'refs/heads/main',
  GITHUB_WORKFLOW_REF: 'acme/shop/.github/workflows/release.yml@refs/heads/main',
  GITHUB_RUN_ID: '9120443187',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_EVENT_NAME: 'push',
};
export const WORKFLOW = 'https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main';
export const REPOSITORY = 'https://github.com/acme/shop';

export interface AuditWorld extends RunnerWorld {
  release1: string;
  release2: string;
  /** The world's keys again, with production also requiring a provenance from WORKFLOW and REPOSITORY. */
  provenancePolicy: string;
  /** sqlite:PATH of a database at release 1, applied by the real CLI. */
  db: string;
  dbPath: string;
  audit(args: string[], env?: Record<string, string | undefined>): ReturnType<RunnerWorld['cli']>;
}

export async function makeAuditWorld(): Promise<AuditWorld> {
  const world = createWorld('migseal-audit-');
  const release1 = await world.bundle('shop-1', RELEASE_1);
  const release2 = await world.bundle('shop-2', RELEASE_2, { release: '2', env: GITHUB_ACTIONS });
  const provenancePolicy = join(world.dir, 'trust-provenance.json');
  const doc = JSON.parse(readFileSync(world.policy, 'utf8'));
  doc.environments.production.provenance = { builderId: WORKFLOW, sourceRepository: REPOSITORY };
  writeFileSync(provenancePolicy, JSON.stringify(doc, null, 2), { mode: 0o644 });
  const dbPath = join(world.dir, 'shop.sqlite');
  const applied = await world.cli(['apply', release1, '--trust', world.policy, '--db', `sqlite:${dbPath}`, '--json']);
  if (applied.code !== 0) throw new Error(`apply failed: ${applied.stderr}`);
  return { ...world, release1, release2, provenancePolicy, db: `sqlite:${dbPath}`, dbPath, audit: (args, env) => world.cli(['audit', ...args], env) };
}

/** Flips one byte of a migration file inside a signed bundle: its signed digest no longer matches. */
export async function tamperedCopy(path: string, out: string): Promise<string> {
  const contents = await decodeBundle(readFileSync(path));
  const files = new Map(contents.files);
  const [name, bytes] = [...files].find(([p]) => p.endsWith('.up.sql'))!;
  const changed = Buffer.from(bytes);
  changed[0] = changed[0]! ^ 0x20;
  files.set(name, changed);
  writeFileSync(out, encodeBundle({ manifestBytes: contents.manifestBytes, files, signatures: contents.signatures.values() }));
  return out;
}

export const HOSTILE = {
  name: '</td><script>alert(1)</script>',
  message: '"><img src=x onerror=alert(2)>',
  statement: "<script>alert('3')</script>",
  appliedBy: '<svg onload=alert(4)>@evil',
  note: '</table><iframe src="https://evil.example">',
};

/** Release 1 re-signed with hostile text in a migration name and in a finding: validly signed, so fully verified. */
export async function hostileBundle(world: AuditWorld, out: string): Promise<string> {
  const contents = await decodeBundle(readFileSync(world.release1));
  const manifest = parseManifest(contents.manifestBytes);
  manifest.migrations[0]!.name = HOSTILE.name;
  manifest.findings[0]!.message = HOSTILE.message;
  manifest.findings[0]!.statement = HOSTILE.statement;
  const bundle = await sealBundle(serializeManifest(manifest), contents.files, [
    { signer: world.release.signer, role: 'release' },
    { signer: world.approver.signer, role: 'approve' },
  ], { project: 'shop', release: '1' });
  writeFileSync(out, bundle);
  return out;
}

/**
 * Writes hostile text into a copy of the database's history, as a compromised runner of an
 * older migseal (one without the history chain, which would refuse this copy) could.
 */
export function hostileDatabase(world: AuditWorld, out: string): string {
  writeFileSync(out, readFileSync(world.dbPath));
  const db = new Database(out);
  try {
    db.exec('DROP TABLE migseal_chain; DROP TABLE migseal_fingerprints; ALTER TABLE migseal_runs DROP COLUMN audit_hash;');
    db.prepare("UPDATE migseal_migrations SET applied_by = ?, note = ? WHERE version = '1'").run(HOSTILE.appliedBy, HOSTILE.note);
    db.prepare('UPDATE migseal_runs SET host = ?').run(HOSTILE.appliedBy);
  } finally {
    db.close();
  }
  return `sqlite:${out}`;
}
