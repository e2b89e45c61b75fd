/** Checks that the bundle is for the project (and dialect) this host's policy protects. */
import { MigsealError } from '../errors.js';
import type { Manifest } from '../format/manifest.js';
import type { TrustPolicy } from '../trust/policy.js';

export function checkTarget(manifest: Manifest, policy: TrustPolicy): void {
  if (manifest.project !== policy.project) {
    throw new MigsealError('WRONG_PROJECT', `The bundle is for project "${manifest.project}", but this trust policy is for "${policy.project}".`);
  }
  if (policy.dialect && manifest.dialect !== policy.dialect && manifest.dialect !== 'any') {
    throw new MigsealError('WRONG_DIALECT', `The bundle is for ${manifest.dialect}, but this trust policy is for ${policy.dialect}.`);
  }
}
