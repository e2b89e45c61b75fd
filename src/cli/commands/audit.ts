/**
 * The auditor's view of a bundle: verified against the trust policy with --trust, else only
 * claimed; compared with a database's history with --db (opened read-only, never created).
 * A refused bundle still gets its report, with the refusal stated first, and exits 2.
 */
import { existsSync, statSync } from 'node:fs';
import { decodeBundle } from '../../format/bundle-archive.js';
import { inspectContents } from '../../inspect/index.js';
import { readHistory } from '../../apply/index.js';
import { readLiveSchema } from '../../apply/live-schema.js';
import { parseDatabaseUrl, type DatabaseUrl } from '../../db/index.js';
import { MigsealError, isMigsealError } from '../../errors.js';
import { loadTrustPolicy } from '../../trust/policy.js';
import { DEFAULT_ENVIRONMENT } from '../../trust/policy.js';
import { verifyBundle } from '../../verify/index.js';
import { gatherFacts, type BundleClaims, type BundleEvidence, type DatabaseEvidence } from '../../report/gather.js';
import { renderHtml } from '../../report/render-html.js';
import { renderText } from '../../report/render-text.js';
import { withDatabase } from '../database.js';
import { readInput, writeOutput } from '../io.js';
import { COMMANDS, type CommandRun } from '../table.js';
import { waitLimitFlags, waitLimits } from '../wait-limits.js';
import type { WaitLimits } from '../../db/driver.js';

export const run: CommandRun = async ({ positionals, flags }, { env, cwd }) => {
  const bundlePath = positionals[0]!;
  if (typeof flags.env === 'string' && typeof flags.trust !== 'string') throw new MigsealError('USAGE', `--env needs --trust. Usage: ${COMMANDS.audit!.usage}`);
  // The database URL is checked first: a password on the command line is refused before any work.
  const url = typeof flags.db === 'string' ? parseDatabaseUrl(flags.db, cwd) : undefined;
  waitLimitFlags(flags);
  const generated = generatedAt(env);
  const bytes = readInput(bundlePath, 'bundle');
  const evidence = await readEvidence(bytes, flags);
  // The reads wait for another session's lock as long as apply would: the flag, the environment's policy, the default.
  const database = url && (await readDatabase(url, env, waitLimits(flags, 'rule' in evidence ? evidence.rule : undefined)));
  const facts = gatherFacts({ bundle: { path: bundlePath, size: bytes.length }, evidence, ...(database && { database }), ...generated });
  const htmlPath = typeof flags.html === 'string' ? flags.html : undefined;
  if (htmlPath) writeOutput(htmlPath, renderHtml(facts));
  const v = facts.verification;
  return {
    text: renderText(facts, htmlPath),
    json: {
      ok: v.outcome !== 'refused',
      ...facts,
      // The bundle as every command's --json names it, with its size.
      bundle: {
        ...facts.bundle,
        ...(facts.release && { digest: facts.release.digest, project: facts.release.project, release: facts.release.release, commit: facts.provenance?.source.commit ?? null, verified: facts.release.trust === 'verified' }),
      },
      ...(htmlPath && { html: htmlPath }),
    },
    ...(v.outcome === 'refused' && { exitCode: v.exitCode }),
  };
};

/** Verified with --trust; claimed without. A refusal (exit 2) is a result here, not an error. */
async function readEvidence(bytes: Buffer, flags: Record<string, unknown>): Promise<BundleEvidence> {
  const trust = typeof flags.trust === 'string' ? { policy: flags.trust, environment: typeof flags.env === 'string' ? flags.env : DEFAULT_ENVIRONMENT } : undefined;
  // A policy that does not load is the host's problem, not the bundle's: that stays an error.
  const policy = trust && loadTrustPolicy(trust.policy);
  const rule = policy && trust && policy.environments[trust.environment];
  try {
    // An auditor looks at past releases: one past its signed expiry still verifies, and the page says hosts refuse it.
    if (policy && trust) return { kind: 'verified', bundle: await verifyBundle(bytes, { policy, environment: trust.environment, expiry: 'report' }), policy: trust.policy, ...(rule && { rule }) };
    return { kind: 'claimed', claims: await readClaims(bytes) };
  } catch (error) {
    if (!isMigsealError(error) || error.exitCode !== 2) throw error;
    const claims = await readClaims(bytes).catch(() => undefined);
    return { kind: 'refused', error, ...trust, ...(rule && { rule }), ...(claims && { claims }) };
  }
}

async function readClaims(bytes: Buffer): Promise<BundleClaims> {
  const contents = await decodeBundle(bytes);
  return { report: inspectContents(contents), files: contents.files };
}

/** Reads the history tables read-only. A SQLite file that does not exist is an error: auditing never creates one. */
async function readDatabase(url: DatabaseUrl, env: Record<string, string | undefined>, waits: Partial<WaitLimits>): Promise<DatabaseEvidence> {
  if (url.dialect === 'sqlite' && url.path !== ':memory:' && !(existsSync(url.path) && statSync(url.path).isFile())) {
    throw new MigsealError('IO', `Cannot read the database ${url.display}: no such file (audit never creates one).`);
  }
  const { history, liveSchema } = await withDatabase(url, env, true, async (driver) => {
    const read = await readHistory(driver);
    return { history: read, liveSchema: await readLiveSchema(driver, read) };
  }, undefined, waits);
  const runs = history.runs;
  return { url: url.display, dialect: url.dialect, history, runs, ...(liveSchema && { liveSchema }) };
}

function generatedAt(env: Record<string, string | undefined>): { generatedAt: Date; generatedAtSource: 'clock' | 'SOURCE_DATE_EPOCH' } {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return { generatedAt: new Date(), generatedAtSource: 'clock' };
  if (!/^[0-9]{1,11}$/.test(raw)) throw new MigsealError('USAGE', `SOURCE_DATE_EPOCH must be a whole number of seconds, not "${raw}".`);
  return { generatedAt: new Date(Number(raw) * 1000), generatedAtSource: 'SOURCE_DATE_EPOCH' };
}
