import { sign as cryptoSign, createPublicKey, type KeyObject } from 'node:crypto';
import type { Signer, Signature } from './signer.js';
import { keyIdOf } from '../format/public-key.js';

/**
 * Signs with a private key held by this process. Ed25519 signatures are deterministic, so
 * packing the same inputs with the same Ed25519 key gives a byte-identical bundle.
 * The bundle's key hint is the key id (SHA-256 of the public key's SPKI DER).
 */
export class KeySigner implements Signer {
  readonly #privateKey: KeyObject;
  readonly #publicKeyPem: string;
  readonly keyId: string;

  constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey;
    const publicKey = createPublicKey(privateKey);
    this.#publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    this.keyId = keyIdOf(publicKey);
  }

  async sign(data: Buffer): Promise<Signature> {
    const algorithm = this.#privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256';
    const signature = cryptoSign(algorithm, data, this.#privateKey);
    return { signature, key: { $case: 'publicKey', publicKey: this.#publicKeyPem, hint: this.keyId } };
  }
}
