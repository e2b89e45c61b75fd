/** Checks the signed expiry: refuses a release past it, or one without it where the environment requires one. */
import { MigsealError } from '../errors.js';
import type { Manifest } from '../format/manifest.js';
import type { EnvironmentRule } from '../trust/policy.js';

export function checkExpiry(manifest: Manifest, rule: EnvironmentRule, environment: string, now: Date): void {
  if (manifest.expiresAt === undefined) {
    if (rule.requireExpiry) throw new MigsealError('BUNDLE_EXPIRED', `The "${environment}" policy requires a signed expiry, and this bundle has none.`);
    return;
  }
  if (now.getTime() > Date.parse(manifest.expiresAt)) {
    throw new MigsealError('BUNDLE_EXPIRED', `The bundle expired at ${manifest.expiresAt}.`);
  }
}
