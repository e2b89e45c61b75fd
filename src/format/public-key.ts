/**
 * Public keys as trust policies hold them: SPKI PEM (or PKCS#1 for RSA), DER, or bare base64
 * DER. A key's id, in bundles and policies alike, is the SHA-256 of its canonical SPKI DER
 * encoding (canonical-key.ts), so one key has one id however its file spells it.
 */
import type { KeyObject } from 'node:crypto';
import { MigsealError } from '../errors.js';
import { canonicalSpki, publicKeyFromFile } from './canonical-key.js';
import { sha256Hex } from './digest.js';

/** The SHA-256 of the key's canonical SPKI DER: the same for every encoding of one key (EC points compressed or not, RSA as PSS or not). */
export function keyIdOf(publicKey: KeyObject): string {
  return sha256Hex(canonicalSpki(publicKey));
}

/** A public key file's contents: one PEM block (PUBLIC KEY, or RSA PUBLIC KEY), SPKI DER, or SPKI DER in bare base64. */
export function loadPublicKey(contents: string | Buffer, source: string): KeyObject {
  const key = publicKeyFromFile(Buffer.isBuffer(contents) ? contents : Buffer.from(contents, 'utf8'), source);
  assertSupportedKey(key, source);
  return key;
}

/** Refuses key types migseal does not sign or verify with. */
export function assertSupportedKey(key: KeyObject, source: string): void {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519' || type === 'rsa' || type === 'rsa-pss') return;
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return;
  throw new MigsealError('KEY_INVALID', `The key ${source} is of an unsupported type (${type}); use Ed25519, ECDSA P-256 or RSA.`);
}
