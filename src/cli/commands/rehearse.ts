import { MigsealError } from '../../errors.js';
import { bundleJson } from '../json-shape.js';
import { buildRehearsalStatement, type RehearsedMigration } from '../../format/rehearsal-statement.js';
import { rehearseBundle, type RehearsalReport } from '../../rehearse/index.js';
import { addAttestation } from '../../signing/add-attestation.js';
import { verifyBundle } from '../../verify/index.js';
import { databaseUrl, withDatabase } from '../database.js';
import { readInput, streamInput, writeOutput } from '../io.js';
import { signingFromFlags } from '../signing-key.js';
import type { CommandRun } from '../table.js';
import { policyFromFlags } from '../verify-from-flags.js';

/** Exit 0: the rehearsal passed; 2 (REHEARSAL_FAILED): a migration failed, or a down script did not restore the schema. */
export const run: CommandRun = async ({ positionals, flags }, { env, cwd, progress }) => {
  const path = positionals[0]!;
  const url = databaseUrl(flags, env, cwd);
  const policy = policyFromFlags(flags, 'rehearse');
  if (flags.out !== undefined && flags.key === undefined && flags.keyless !== true) throw new MigsealError('USAGE', '--out names where the signed rehearsal goes: give --key FILE or --keyless with it.');
  // The signer is ready before anything runs: a wrong key or passphrase fails here.
  const signing = await signingFromFlags(flags, env, progress);
  progress(`verifying ${path}`);
  const verified = await verifyBundle(streamInput(path, 'bundle'), {
    policy,
    ...(typeof flags.env === 'string' && { environment: flags.env }),
    findings: { dialect: url.dialect, direction: 'up' },
    rehearsal: 'ignore',
  });
  const report = await withDatabase(url, env, false, (driver) => rehearseBundle(verified, driver, progress));
  const { predicate } = report;
  let signed: { out: string; signer: string } | undefined;
  if (signing) {
    const statement = buildRehearsalStatement(verified.digest, predicate);
    const result = await addAttestation(readInput(path, 'bundle'), statement, signing.signer, signing.witnesses);
    const out = typeof flags.out === 'string' ? flags.out : path;
    writeOutput(out, result.bundle);
    signed = { out, signer: signing.description };
  }
  const json = {
    ok: predicate.passed,
    ...(!predicate.passed && { code: 'REHEARSAL_FAILED' }),
    bundle: bundleJson(path, verified.digest, verified.manifest, true),
    digest: verified.digest,
    database: report.target,
    ...predicate,
    leftBehind: report.leftBehind,
    ...(signed && { signed }),
  };
  return { text: describe(verified.manifest.project, report, signed, verified.digest), json, ...(!predicate.passed && { exitCode: 2 }) };
};

function describe(project: string, report: RehearsalReport, signed: { out: string; signer: string } | undefined, digest: string): string {
  const { predicate } = report;
  const width = Math.max(1, ...predicate.migrations.map((m) => m.version.length));
  const lines = [
    `${predicate.passed ? 'rehearsal passed' : 'REHEARSAL_FAILED'}: ${project} release ${predicate.release} (sha256:${digest.slice(0, 16)}…) on ${report.target} (${predicate.server.version})`,
    ...predicate.migrations.map((m) => `  ${m.version.padEnd(width)}  ${m.name}  up ${m.up}, ${steps(m)}${m.problem ? `\n  ${' '.repeat(width)}  ${problemLine(m)}` : ''}`),
  ];
  if (predicate.reapplyDifference) lines.push(`  applying everything again gave another schema: ${predicate.reapplyDifference}`);
  if (signed) lines.push(`signed the rehearsal with ${signed.signer} into ${signed.out} (release id sha256:${digest.slice(0, 16)}… unchanged)`);
  return lines.join('\n');
}

/** What the down pass and the second apply did: a repeatable has no down script, is kept through the down pass and runs again. */
const steps = (m: RehearsedMigration): string => (m.repeatable && m.down === 'not-run' ? `no down script (repeatable: kept through the down pass), run again ${m.reapply}` : `down ${m.down}, again ${m.reapply}`);

const problemLine = (m: RehearsedMigration): string => (m.down === 'left-behind' && m.up === 'ok' ? `down script: ${m.problem}` : `error: ${m.problem}`);
