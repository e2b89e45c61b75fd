/**
 * Produces one Sigstore bundle (v0.3) holding a DSSE envelope over an in-toto statement.
 * `@sigstore/sign`'s bundler does the DSSE encoding; only its bundler module is loaded, not
 * the HTTP client that the package index pulls in.
 */
import { DSSEBundleBuilder } from '@sigstore/sign/dist/bundler/dsse.js';
import { bundleToJSON } from '@sigstore/bundle';
import type { Signer } from './signer.js';
import type { Witness } from '@sigstore/sign';
import { PAYLOAD_TYPE } from '../format/statement.js';
import { canonicalJson } from '../format/strict-json.js';

export async function signStatement(statement: object, signer: Signer, witnesses: Witness[] = []): Promise<Buffer> {
  const builder = new DSSEBundleBuilder({ signer, witnesses });
  const bundle = await builder.create({ data: Buffer.from(JSON.stringify(statement)), type: PAYLOAD_TYPE });
  return Buffer.from(canonicalJson(bundleToJSON(bundle)), 'utf8');
}
