/**
 * Adds a signed statement about a release (a rehearsal) to a bundle's attestations. The
 * manifest, files and signatures are untouched, so the release identity (the manifest digest)
 * does not change; the attestations already there are carried over as they are.
 */
import type { Witness } from '@sigstore/sign';
import { MigsealError } from '../errors.js';
import { encodeBundle } from '../format/bundle-encode.js';
import { readClaimedContents } from '../format/claimed-contents.js';
import type { Signer } from './signer.js';
import { signStatement } from './sign-statement.js';

export async function addAttestation(bundle: Buffer, statement: { subject: [{ digest: { sha256: string } }] }, signer: Signer, witnesses: Witness[] = []): Promise<{ bundle: Buffer; digest: string }> {
  const { contents, digest } = await readClaimedContents(bundle);
  if (statement.subject[0].digest.sha256 !== digest) throw new MigsealError('SIGNATURE_SUBJECT_MISMATCH', `The statement is about manifest ${statement.subject[0].digest.sha256.slice(0, 16)}…, not this bundle's (${digest.slice(0, 16)}…).`);
  const attestation = await signStatement(statement, signer, witnesses);
  const out = encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: contents.signatures.values(), attestations: [...contents.attestations.values(), attestation] }, contents.mtime);
  return { bundle: out, digest };
}
