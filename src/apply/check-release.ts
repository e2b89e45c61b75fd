/**
 * Checks against rollback and replay: no release older than the newest applied here (or than
 * one partly applied), and one bundle per release number. The marker holds the newest release
 * wholly applied; a release whose run failed part-way shows in the rows it left
 * (./release-state.ts).
 */
import { MigsealError } from '../errors.js';
import { compareReleases } from '../format/release-version.js';
import type { CheckContext } from './check-context.js';
import { describePartial, releaseState } from './release-state.js';

export function checkReleaseNotOlder({ manifest, digest, history, target }: CheckContext): void {
  const { partial } = releaseState(history);
  if (partial) {
    const order = compareReleases(manifest.release, partial.release);
    if (order < 0) {
      throw new MigsealError('RELEASE_ROLLBACK', `Release ${manifest.release} is older than release ${partial.release}, partly applied to ${target} (${describePartial(partial)}).`, {
        details: { bundle: manifest.release, partlyApplied: partial.release },
      });
    }
    if (order === 0 && partial.bundleDigest !== digest) {
      throw new MigsealError(
        'RELEASE_ROLLBACK',
        `Release ${manifest.release} was partly applied to ${target} from another bundle (sha256:${partial.bundleDigest}); one release number names one bundle: fix it in a new release.`,
        { details: { bundleDigest: digest, appliedDigest: partial.bundleDigest } },
      );
    }
  }
  const marker = history.marker;
  if (!marker) return;
  const order = compareReleases(manifest.release, marker.release);
  if (order < 0) {
    throw new MigsealError('RELEASE_ROLLBACK', `Release ${manifest.release} is older than release ${marker.release}, already applied to ${target}.`, {
      details: { bundle: manifest.release, applied: marker.release },
    });
  }
  if (order === 0 && marker.bundleDigest !== digest) {
    throw new MigsealError(
      'RELEASE_ROLLBACK',
      `Release ${manifest.release} was already applied to ${target} from another bundle (sha256:${marker.bundleDigest}); one release number names one bundle.`,
      { details: { bundleDigest: digest, appliedDigest: marker.bundleDigest } },
    );
  }
}
