/**
 * Signing keys on disk: PKCS#8 PEM private keys (encrypted when a passphrase is given), and
 * new key pairs. Public keys and key ids are in format/public-key.ts.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { MigsealError } from '../errors.js';
import { assertSupportedKey, keyIdOf } from '../format/public-key.js';

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

export function loadPrivateKey(pem: string, source: string, passphrase?: string): KeyObject {
  try {
    const key = createPrivateKey(passphrase === undefined ? { key: pem, format: 'pem' } : { key: pem, format: 'pem', passphrase });
    assertSupportedKey(key, source);
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
