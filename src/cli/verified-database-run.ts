/**
 * The shape of every command that acts on a database with a bundle (plan, apply, adopt,
 * rollback): resolve the database URL, load the policy, verify the bundle completely, and
 * only then open the database. Any refusal or failure on the way is recorded in the audit
 * log, with what was known by then, before it is re-thrown.
 */
import type { Driver } from '../db/driver.js';
import type { VerifiedBundle } from '../verify/index.js';
import type { TrustPolicy } from '../trust/policy.js';
import { AuditTrail } from './audit-trail.js';
import { databaseUrl, withDatabase } from './database.js';
import type { CommandContext } from './table.js';
import { policyFromFlags, verifyFromFlags } from './verify-from-flags.js';
import { waitLimits } from './wait-limits.js';

export interface VerifiedDatabaseRun<T> {
  verified: VerifiedBundle;
  report: T;
  audit: AuditTrail;
}

export interface VerifiedDatabaseOptions {
  /** Open the database read-only (plan). */
  readOnly: boolean;
  /** Fields every audit record of this run carries besides event, command and bundle. */
  audit?: Record<string, unknown>;
  /** Checks of the command's own flags, run (and recorded when they fail) before verification. */
  prepare?: () => void;
  /** The scripts the command runs: up (the default) or down (rollback); their findings are the ones judged. */
  direction?: 'up' | 'down';
  /** More fields for the record of a refusal or failure, read when it happens (apply: the backup taken before it). */
  failureFields?: () => Record<string, unknown>;
}

export async function verifiedDatabaseRun<T>(
  command: string,
  bundlePath: string,
  flags: Record<string, unknown>,
  { env, cwd, progress }: CommandContext,
  options: VerifiedDatabaseOptions,
  act: (bundle: VerifiedBundle, driver: Driver, audit: AuditTrail, policy: TrustPolicy) => Promise<T>,
): Promise<VerifiedDatabaseRun<T>> {
  const audit = new AuditTrail(flags, env, cwd, { event: command, command, bundle: bundlePath, ...options.audit });
  let verified: VerifiedBundle | undefined;
  let target: string | undefined;
  const report = await audit.around(
    async () => {
      options.prepare?.();
      const url = databaseUrl(flags, env, cwd);
      target = url.display;
      const policy = policyFromFlags(flags, command);
      audit.ensureWritable();
      progress(`verifying ${bundlePath}`);
      const bundle = await verifyFromFlags(bundlePath, policy, flags, { dialect: url.dialect, direction: options.direction ?? 'up' });
      verified = bundle;
      // From its first read the session waits for another's lock as long as the run's statements will.
      return withDatabase(url, env, options.readOnly, (driver) => act(bundle, driver, audit, policy), undefined, waitLimits(flags, policy.environments[bundle.environment]));
    },
    () => ({ database: target, ...(verified && provenance(verified)), ...options.failureFields?.() }),
  );
  return { verified: verified!, report, audit };
}

/** What every runner record and JSON answer says about the bundle it acted on. */
export function provenance(v: VerifiedBundle): Record<string, unknown> {
  return {
    digest: v.digest,
    project: v.manifest.project,
    release: v.manifest.release,
    environment: v.environment,
    signers: v.signers.map((s) => ({ id: s.signer, role: s.role, keyId: s.keyId })),
  };
}
