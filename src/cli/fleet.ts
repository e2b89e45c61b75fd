/**
 * What `apply --targets` and `plan --targets` share: the targets file read and checked whole
 * (and each target's password read) before anything else, the shard taken, and the bundle
 * verified once for the fleet (once per SQL dialect the targets use) before any target is opened.
 */
import { dirname, resolve } from 'node:path';
import { MigsealError } from '../errors.js';
import type { DriverDialect } from '../db/index.js';
import { parseShard, parseTargets, takeShard, type Shard, type Target } from '../fleet/index.js';
import type { TrustPolicy } from '../trust/policy.js';
import type { VerifiedBundle } from '../verify/index.js';
import { readInput } from './io.js';
import { verifyFromFlags } from './verify-from-flags.js';

export interface Fleet {
  /** The targets of this shard, in the file's order. */
  targets: Target[];
  /** How many targets the file names. */
  inFile: number;
  shard: Shard | undefined;
  /** Each target's environment: the command's, with the target's own password when it has one. */
  envOf: (target: Target) => Record<string, string | undefined>;
}

export function loadFleet(flags: Record<string, unknown>, env: Record<string, string | undefined>, cwd: string): Fleet {
  if (flags.db !== undefined) throw new MigsealError('USAGE', 'Name either one database with --db or a fleet with --targets FILE, not both.');
  const path = resolve(cwd, flags.targets as string);
  const all = parseTargets(readInput(path, 'targets file').toString('utf8'), path, dirname(path));
  const shard = typeof flags.shard === 'string' ? parseShard(flags.shard) : undefined;
  const targets = takeShard(all, shard);
  // Every password is at hand before the first target opens: a missing one stops the rollout before it starts.
  const passwords = new Map<string, string>();
  for (const t of targets) {
    if (!t.password) continue;
    if ('file' in t.password) {
      passwords.set(t.name, readInput(t.password.file, `password file of target "${t.name}"`).toString('utf8').replace(/\r?\n$/, ''));
    } else {
      const value = env[t.password.env];
      if (value === undefined || value === '') throw new MigsealError('USAGE', `Target "${t.name}" takes its password from ${t.password.env}, which is not set.`);
      passwords.set(t.name, value);
    }
  }
  return {
    targets,
    inFile: all.length,
    shard,
    envOf: (target) => {
      const password = passwords.get(target.name);
      return password === undefined ? env : { ...env, MIGSEAL_DATABASE_PASSWORD: password, MIGSEAL_DATABASE_PASSWORD_FILE: undefined };
    },
  };
}

export interface FleetVerification {
  /** The verified bundle for each dialect the targets use. */
  forDialect: (dialect: DriverDialect) => VerifiedBundle;
  any: VerifiedBundle;
  ms: number;
}

/** Verifies the bundle once per dialect among the targets (the findings judged are the dialect's), before any target is touched. */
export async function verifyForFleet(bundlePath: string, policy: TrustPolicy, flags: Record<string, unknown>, targets: readonly Target[]): Promise<FleetVerification> {
  const started = performance.now();
  const dialects = [...new Set(targets.map((t) => t.url.dialect))];
  const verified = new Map<DriverDialect, VerifiedBundle>();
  for (const dialect of dialects) verified.set(dialect, await verifyFromFlags(bundlePath, policy, flags, { dialect, direction: 'up' }));
  // A shard that holds no target still verifies: its report says which release it would have applied.
  const any = verified.get(dialects[0]!) ?? (await verifyFromFlags(bundlePath, policy, flags));
  const ms = Math.round(performance.now() - started);
  return { forDialect: (dialect) => verified.get(dialect)!, any, ms };
}
