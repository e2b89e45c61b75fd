/**
 * Real signed releases for runner tests: a release key and a trust policy on disk, bundles
 * packed and signed through the library, and the real CLI run against real databases with
 * its audit log kept in the world's folder.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dialect } from '../../src/format/manifest.js';
// Retries only while dist/ is being rebuilt (see test/cli/run.ts).
import { runCli, type CliResult } from '../helpers/cli.js';
import { makeKey, packBundle, removeDir, tempDir, writeMigrations, writePolicy, type TestKey } from './fixtures.js';

export interface ReleaseWorld {
  dir: string;
  key: TestKey;
  policy: string;
  auditLog: string;
  /** Packs and signs a release of `files` (golang-migrate names) and returns the bundle's path. */
  bundle(files: Record<string, string>, options?: { release?: string; project?: string; dialect?: Dialect }): Promise<string>;
  /** Runs the built CLI with this world's audit log and extra environment. */
  migseal(args: string[], env?: Record<string, string | undefined>): Promise<CliResult>;
  cleanup(): void;
}

export async function makeReleaseWorld(): Promise<ReleaseWorld> {
  const dir = tempDir('migseal-runner-');
  const keysDir = join(dir, 'keys');
  mkdirSync(keysDir, { mode: 0o700 });
  const key = makeKey(keysDir, 'release');
  const policy = writePolicy(keysDir, { keys: [{ key, roles: ['release'] }], environments: { default: { release: 1 } } });
  const auditLog = join(dir, 'audit.jsonl');
  let count = 0;
  return {
    dir,
    key,
    policy,
    auditLog,
    async bundle(files, { release = '1', project = 'shop', dialect } = {}) {
      const n = ++count;
      const migrations = writeMigrations(join(dir, `src-${n}`), files);
      const bytes = await packBundle({ dir: migrations, project, release, ...(dialect && { dialect }), signers: [{ signer: key.signer, role: 'release' }] });
      const path = join(dir, `${project}-${release}-${n}.migseal`);
      writeFileSync(path, bytes);
      return path;
    },
    migseal: (args, env = {}) => runCli(args, { cwd: dir, env: { MIGSEAL_AUDIT_LOG: auditLog, ...env } }),
    cleanup: () => removeDir(dir),
  };
}

/** A trust policy for another project that trusts the same release key (for wrong-project tests). */
export function policyFor(world: ReleaseWorld, project: string): string {
  const dir = join(world.dir, `keys-${project}`);
  mkdirSync(dir, { mode: 0o700, recursive: true });
  copyFileSync(world.key.publicPath, join(dir, 'release.pub'));
  return writePolicy(dir, { project, keys: [{ key: world.key, roles: ['release'] }], environments: { default: { release: 1 } } });
}

/**
 * N small migrations: the first creates `ran(v)`, every one creates table tI and inserts its
 * number into `ran`, so "ran exactly once" and "schema matches history" can be counted.
 */
export function counterMigrations(n: number, extra: (i: number) => string = () => ''): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 1; i <= n; i++) {
    const setup = i === 1 ? 'CREATE TABLE ran (v INTEGER NOT NULL);\n' : '';
    files[`${i}_step_${i}.up.sql`] = `${setup}CREATE TABLE t${i} (id INTEGER PRIMARY KEY, note TEXT);\nINSERT INTO ran (v) VALUES (${i});\n${extra(i)}`;
    files[`${i}_step_${i}.down.sql`] = `DROP TABLE t${i};\nDELETE FROM ran WHERE v = ${i};\n${i === 1 ? 'DROP TABLE ran;\n' : ''}`;
  }
  return files;
}
