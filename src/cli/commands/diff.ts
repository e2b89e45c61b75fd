/**
 * Compares two releases. Without --trust both are read strictly and checked for internal
 * consistency only, and the output says their contents are claimed; with --trust both are
 * verified in full first. A migration changed after its release exits 2.
 */
import { MigsealError, isMigsealError } from '../../errors.js';
import { changedAfterRelease, diffReleases, readClaimedRelease, readVerifiedRelease, type ReleaseSide } from '../../diff/index.js';
import { DEFAULT_ENVIRONMENT } from '../../trust/policy.js';
import { streamInput } from '../io.js';
import { bundleJson } from '../json-shape.js';
import { policyFromFlags } from '../verify-from-flags.js';
import { renderDiff } from '../render-diff.js';
import type { CommandRun } from '../table.js';

export const run: CommandRun = async ({ positionals, flags }) => {
  const [oldPath, newPath] = positionals as [string, string];
  const policy = typeof flags.trust === 'string' ? policyFromFlags(flags, 'diff') : undefined;
  const environment = typeof flags.env === 'string' ? flags.env : DEFAULT_ENVIRONMENT;
  if (!policy && typeof flags.env === 'string') throw new MigsealError('USAGE', '--env needs --trust: an environment is a part of a trust policy.');
  const read = (label: string, path: string): Promise<ReleaseSide> =>
    (policy ? readVerifiedRelease(streamInput(path, 'bundle'), { policy, environment }) : readClaimedRelease(streamInput(path, 'bundle'))).catch((error: unknown) => {
      if (!isMigsealError(error)) throw error;
      throw new MigsealError(error.code, `${label} ${path}: ${error.message}`, { cause: error, ...(error.details && { details: error.details }) });
    });
  const before = await read('OLD', oldPath);
  const after = await read('NEW', newPath);
  const diff = diffReleases(before, after, { patch: flags.patch === true });
  const changed = changedAfterRelease(diff);
  const refused = changed.length > 0;
  const verification = policy ? { verified: true, environment, trust: flags.trust } : { verified: false };
  return {
    text: renderDiff(diff, { oldPath, newPath, ...(policy && { environment, trust: flags.trust as string }) }),
    json: {
      ok: !refused,
      ...(refused && { code: 'MIGRATION_CHANGED_AFTER_RELEASE', exitCode: 2 }),
      ...verification,
      changedAfterRelease: changed.map((m) => m.version),
      ...diff,
      // The JSON shape's bundle fields on both sides (path and commit added to what they said), and NEW, the release under review, as `bundle`.
      old: { ...bundleJson(oldPath, before.digest, before.manifest, before.verified), ...diff.old },
      new: { ...bundleJson(newPath, after.digest, after.manifest, after.verified), ...diff.new },
      bundle: bundleJson(newPath, after.digest, after.manifest, after.verified),
    },
    ...(refused && { exitCode: 2 }),
  };
};
