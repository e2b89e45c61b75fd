/** Produces one signature file: a Sigstore bundle over the release statement for a manifest. */
import type { Signer } from './signer.js';
import type { Witness } from '@sigstore/sign';
import { buildStatement, type SignaturePredicate } from '../format/statement.js';
import { signStatement } from './sign-statement.js';

export async function signManifest(
  manifestSha256: string,
  predicate: SignaturePredicate,
  signer: Signer,
  witnesses: Witness[] = [],
): Promise<Buffer> {
  return signStatement(buildStatement(manifestSha256, predicate), signer, witnesses);
}
