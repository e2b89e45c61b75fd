/**
 * Signing keys on disk: PKCS#8 PEM private keys (encrypted when a passphrase is given),
 * public keys as SPKI PEM (or PKCS#1 for RSA), DER, or bare base64 DER. A key's id in bundles
 * is the SHA-256 of its canonical SPKI DER encoding (canonical-key.ts), so one key has one id
 * however its file spells it.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { MigsealError } from '../errors.js';
import { sha256Hex } from '../format/digest.js';
import { canonicalSpki, publicKeyFromFile } from './canonical-key.js';

export const KEY_TYPES = ['ed25519', 'ecdsa-p256', 'rsa'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export interface GeneratedKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
  keyId: string;
}

export function generateKeyPair(type: KeyType, passphrase?: string): GeneratedKeyPair {
  const pair =
    type === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : type === 'ecdsa-p256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: 3072 });
  const privateKeyPem = pair.privateKey.export(
    passphrase ? { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase } : { type: 'pkcs8', format: 'pem' },
  ) as string;
  const publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  return { privateKeyPem, publicKeyPem, keyId: keyIdOf(pair.publicKey) };
}

/** The SHA-256 of the key's canonical SPKI DER: the same for every encoding of one key (EC points compressed or not, RSA as PSS or not). */
export function keyIdOf(publicKey: KeyObject): string {
  return sha256Hex(canonicalSpki(publicKey));
}

export function loadPrivateKey(pem: string, source: string, passphrase?: string): KeyObject {
  try {
    const key = createPrivateKey(passphrase === undefined ? { key: pem, format: 'pem' } : { key: pem, format: 'pem', passphrase });
    assertSupported(key, source);
    return key;
  } catch (error) {
    if (error instanceof MigsealError) throw error;
    const encrypted = pem.includes('ENCRYPTED');
    throw new MigsealError(
      'KEY_INVALID',
      encrypted && passphrase === undefined
        ? `The private key ${source} is encrypted; set MIGSEAL_KEY_PASSPHRASE or MIGSEAL_KEY_PASSPHRASE_FILE.`
        : encrypted
          ? `The private key ${source} could not be decrypted with the given passphrase.`
          : `The file ${source} is not a PEM private key.`,
      { cause: error },
    );
  }
}

/** A public key file's contents: one PEM block (PUBLIC KEY, or RSA PUBLIC KEY), SPKI DER, or SPKI DER in bare base64. */
export function loadPublicKey(contents: string | Buffer, source: string): KeyObject {
  const key = publicKeyFromFile(Buffer.isBuffer(contents) ? contents : Buffer.from(contents, 'utf8'), source);
  assertSupported(key, source);
  return key;
}

function assertSupported(key: KeyObject, source: string): void {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519' || type === 'rsa' || type === 'rsa-pss') return;
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return;
  throw new MigsealError('KEY_INVALID', `The key ${source} is of an unsupported type (${type}); use Ed25519, ECDSA P-256 or RSA.`);
}
