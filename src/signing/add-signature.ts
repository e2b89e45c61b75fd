/**
 * Adds a co-signature (for example an approval) to an existing bundle. The manifest and
 * files are untouched, so the release identity (the manifest digest) does not change.
 * Before attesting, it checks that the files still match the manifest it is about to sign.
 * Attestations (the build provenance) are carried over as they are: never dropped, never repeated.
 */
import { encodeBundle } from '../format/bundle-encode.js';
import { readClaimedContents } from '../format/claimed-contents.js';
import type { Manifest } from '../format/manifest.js';
import { signManifest } from './sign-manifest.js';
import type { Signer } from './signer.js';
import type { Witness } from '@sigstore/sign';
import type { Role } from '../format/statement.js';

export async function addSignature(bundle: Buffer, signer: Signer, role: Role, witnesses: Witness[] = []): Promise<{ bundle: Buffer; digest: string; manifest: Manifest }> {
  const { contents, digest, manifest } = await readClaimedContents(bundle);
  const signature = await signManifest(digest, { role, project: manifest.project, release: manifest.release }, signer, witnesses);
  const out = encodeBundle({ manifestBytes: contents.manifestBytes, files: contents.files, signatures: [...contents.signatures.values(), signature], attestations: contents.attestations.values() }, contents.mtime);
  return { bundle: out, digest, manifest };
}
