/**
 * Produces one signature file: a Sigstore bundle (v0.3) holding a DSSE envelope over the
 * release statement. `@sigstore/sign`'s bundler does the DSSE encoding; only its bundler
 * module is loaded, not the HTTP client that the package index pulls in.
 */
import { DSSEBundleBuilder } from '@sigstore/sign/dist/bundler/dsse.js';
import { bundleToJSON } from '@sigstore/bundle';
import type { Signer } from './signer.js';
import type { Witness } from '@sigstore/sign';
import { buildStatement, PAYLOAD_TYPE, type SignaturePredicate } from './statement.js';
import { canonicalJson } from '../format/strict-json.js';

export async function signManifest(
  manifestSha256: string,
  predicate: SignaturePredicate,
  signer: Signer,
  witnesses: Witness[] = [],
): Promise<Buffer> {
  const statement = buildStatement(manifestSha256, predicate);
  const builder = new DSSEBundleBuilder({ signer, witnesses });
  const bundle = await builder.create({ data: Buffer.from(JSON.stringify(statement)), type: PAYLOAD_TYPE });
  return Buffer.from(canonicalJson(bundleToJSON(bundle)), 'utf8');
}
