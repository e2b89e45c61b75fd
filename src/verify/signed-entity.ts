/**
 * What @sigstore/verify checks for one bundle, with the one encoding its 3.x line does not
 * know: a Rekor v2 log records a DSSE envelope as a `hashedrekord` 0.0.2 entry over the
 * digest of the bytes actually signed (the envelope's pre-authentication encoding), not over
 * the payload. For such a bundle, the log entry's digest is compared with that digest.
 */
import type { Bundle } from '@sigstore/bundle';
import { crypto, dsse } from '@sigstore/core';
import { toSignedEntity } from '@sigstore/verify';

type SignedEntity = ReturnType<typeof toSignedEntity>;

export function signedEntityOf(bundle: Bundle, bytes: Buffer | undefined): SignedEntity {
  const entity = toSignedEntity(bundle, bytes);
  if (bundle.content.$case !== 'dsseEnvelope' || !loggedAsSignedDigest(bundle)) return entity;
  const { payloadType, payload } = bundle.content.dsseEnvelope;
  const signedDigest = crypto.digest('sha256', dsse.preAuthEncoding(payloadType, payload));
  const content = entity.signature;
  const signature: SignedEntity['signature'] = {
    signature: content.signature,
    compareSignature: (sig) => content.compareSignature(sig),
    verifySignature: (key) => content.verifySignature(key),
    compareDigest: (digest) => crypto.bufferEqual(digest, signedDigest),
  };
  return { ...entity, signature };
}

// Every entry is a hashedrekord 0.0.2: a bundle mixing kinds keeps the payload digest, and a
// hashedrekord entry in it then fails, as it should.
function loggedAsSignedDigest(bundle: Bundle): boolean {
  const entries = bundle.verificationMaterial.tlogEntries;
  return entries.length > 0 && entries.every((e) => e.kindVersion?.kind === 'hashedrekord' && e.kindVersion.version === '0.0.2');
}
