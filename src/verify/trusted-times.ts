/**
 * The signing times a bundle's evidence vouches for: each transparency-log entry's
 * integrated time (when covered by the log's signed promise) and each RFC 3161 timestamp's
 * time. Meaningful only after the verifier has checked that evidence against a trusted root.
 */
import type { Bundle } from '@sigstore/bundle';
import { RFC3161Timestamp } from '@sigstore/core';

export function trustedTimes(bundle: Bundle): Date[] {
  const times: Date[] = [];
  for (const entry of bundle.verificationMaterial.tlogEntries) {
    const seconds = Number(entry.integratedTime);
    if (entry.inclusionPromise && seconds > 0) times.push(new Date(seconds * 1000));
  }
  for (const ts of bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []) {
    times.push(RFC3161Timestamp.parse(Buffer.from(ts.signedTimestamp)).signingTime);
  }
  return times;
}
