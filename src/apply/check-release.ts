/** Checks against rollback and replay: no release older than the newest applied here, and one bundle per release number. */
import { MigsealError } from '../errors.js';
import { compareReleases } from '../format/release-version.js';
import type { CheckContext } from './check-context.js';

export function checkReleaseNotOlder({ manifest, digest, history, target }: CheckContext): void {
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
