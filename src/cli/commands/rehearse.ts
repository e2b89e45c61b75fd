import { MigsealError } from '../../errors.js';
import { bundleJson } from '../json-shape.js';
import { buildRehearsalStatement, type RehearsedMigration } from '../../format/rehearsal-statement.js';
import { rehearseBundle, type RehearsalReport } from '../../rehearse/index.js';
import { addAttestation } from '../../signing/add-attestation.js';
import { verifyBundle, type VerifiedBundle } from '../../verify/index.js';
import { AuditTrail } from '../audit-trail.js';
import { databaseUrl, lockTimeoutMs, withDatabase } from '../database.js';
import { readInput, streamInput, writeOutput } from '../io.js';
import { signingFromFlags } from '../signing-key.js';
import type { CommandRun } from '../table.js';
import { provenance } from '../verified-database-run.js';
import { policyFromFlags } from '../verify-from-flags.js';
import { waitLimitFlags, waitLimits } from '../wait-limits.js';

/**
 * Exit 0: the rehearsal passed; 2 (REHEARSAL_FAILED): a migration failed, or a down script did not restore the schema.
 * The audit log records the outcome (passed or failed), or the refusal or failure that stopped it.
 */
export const run: CommandRun = async ({ positionals, flags }, { env, cwd, progress }) => {
  const path = positionals[0]!;
  const audit = new AuditTrail(flags, env, cwd, { event: 'rehearse', command: 'rehearse', bundle: path });
  let target: string | undefined;
  let verified: VerifiedBundle | undefined;
  const { report, signed } = await audit.around(
    async () => {
      const url = databaseUrl(flags, env, cwd);
      target = url.display;
      const policy = policyFromFlags(flags, 'rehearse');
      if (flags.out !== undefined && flags.key === undefined && flags.keyless !== true) throw new MigsealError('USAGE', '--out names where the signed rehearsal goes: give --key FILE or --keyless with it.');
      waitLimitFlags(flags);
      const lockMs = lockTimeoutMs(flags, env);
      audit.ensureWritable();
      // The signer is ready before anything runs: a wrong key or passphrase fails here.
      const signing = await signingFromFlags(flags, env, progress);
      progress(`verifying ${path}`);
      const bundle = await verifyBundle(streamInput(path, 'bundle'), {
        policy,
        ...(typeof flags.env === 'string' && { environment: flags.env }),
        findings: { dialect: url.dialect, direction: 'up' },
        rehearsal: 'ignore',
      });
      verified = bundle;
      const waits = waitLimits(flags, policy.environments[bundle.environment]);
      const report = await withDatabase(url, env, false, (driver) => rehearseBundle(bundle, driver, { progress, lockTimeoutMs: lockMs, waitLimits: waits }), undefined, waits);
      if (!signing) return { report, signed: undefined };
      const statement = buildRehearsalStatement(bundle.digest, report.predicate);
      const result = await addAttestation(readInput(path, 'bundle'), statement, signing.signer, signing.witnesses);
      const out = typeof flags.out === 'string' ? flags.out : path;
      writeOutput(out, result.bundle);
      return { report, signed: { out, signer: signing.description } };
    },
    () => ({ database: target, ...(verified && provenance(verified)) }),
  );
  const v = verified!;
  const { predicate } = report;
  audit.record({
    outcome: predicate.passed ? 'passed' : 'failed',
    ...(!predicate.passed && { code: 'REHEARSAL_FAILED', exitCode: 2 }),
    database: report.target,
    ...provenance(v),
    server: predicate.server.version,
    migrations: predicate.migrations.map((m) => ({ version: m.version, name: m.name, up: m.up, down: m.down, reapply: m.reapply, ...(m.repeatable && { repeatable: true }) })),
    ...(predicate.reapplyDifference && { reapplyDifference: predicate.reapplyDifference }),
    ...(signed && { signed }),
  });
  const json = {
    ok: predicate.passed,
    ...(!predicate.passed && { code: 'REHEARSAL_FAILED' }),
    bundle: bundleJson(path, v.digest, v.manifest, true),
    digest: v.digest,
    database: report.target,
    ...predicate,
    leftBehind: report.leftBehind,
    // Who held a lock a script gave up on: for the operator, never in the signed statement.
    ...(Object.keys(report.lockHolders).length > 0 && { lockHolders: report.lockHolders }),
    ...(signed && { signed }),
  };
  return { text: describe(v.manifest.project, report, signed, v.digest), json, ...(!predicate.passed && { exitCode: 2 }) };
};

function describe(project: string, report: RehearsalReport, signed: { out: string; signer: string } | undefined, digest: string): string {
  const { predicate } = report;
  const width = Math.max(1, ...predicate.migrations.map((m) => m.version.length));
  const lines = [
    `${predicate.passed ? 'rehearsal passed' : 'REHEARSAL_FAILED'}: ${project} release ${predicate.release} (sha256:${digest.slice(0, 16)}…) on ${report.target} (${predicate.server.version})`,
    ...predicate.migrations.map(
      (m) =>
        `  ${m.version.padEnd(width)}  ${m.name}  up ${m.up}, ${steps(m)}${m.problem ? `\n  ${' '.repeat(width)}  ${problemLine(m)}` : ''}${report.lockHolders[m.version] ? `\n  ${' '.repeat(width)}  ${report.lockHolders[m.version]}` : ''}`,
    ),
  ];
  if (predicate.reapplyDifference) lines.push(`  applying everything again gave another schema: ${predicate.reapplyDifference}`);
  if (signed) lines.push(`signed the rehearsal with ${signed.signer} into ${signed.out} (release id sha256:${digest.slice(0, 16)}… unchanged)`);
  return lines.join('\n');
}

/** What the down pass and the second apply did: a repeatable has no down script, is kept through the down pass and runs again. */
const steps = (m: RehearsedMigration): string => (m.repeatable && m.down === 'not-run' ? `no down script (repeatable: kept through the down pass), run again ${m.reapply}` : `down ${m.down}, again ${m.reapply}`);

const problemLine = (m: RehearsedMigration): string => (m.down === 'left-behind' && m.up === 'ok' ? `down script: ${m.problem}` : `error: ${m.problem}`);
