import { createPublicKey, sign as cryptoSign, X509Certificate, type KeyObject } from 'node:crypto';
import { MigsealError } from '../errors.js';
import type { Signer, Signature } from './signer.js';
import { keyIdOf } from '../format/public-key.js';

/**
 * Signs with a private key and presents its certificate (issued by the organisation's CA)
 * instead of a bare key, so verifiers match the certificate's identity and issuer.
 */
export class CertificateSigner implements Signer {
  readonly #privateKey: KeyObject;
  readonly #certificatePem: string;
  readonly keyId: string;
  readonly identity: string;

  constructor(privateKey: KeyObject, certificatePem: string, source = 'the certificate') {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(certificatePem);
    } catch (error) {
      throw new MigsealError('KEY_INVALID', `The file ${source} is not a PEM certificate.`, { cause: error });
    }
    const publicKey = createPublicKey(privateKey);
    if (!cert.publicKey.equals(publicKey)) throw new MigsealError('KEY_INVALID', `The certificate ${source} is not for the given private key.`);
    this.#privateKey = privateKey;
    this.#certificatePem = cert.toString();
    this.keyId = keyIdOf(publicKey);
    this.identity = cert.subjectAltName ?? '(no identity)';
  }

  async sign(data: Buffer): Promise<Signature> {
    const algorithm = this.#privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256';
    return { signature: cryptoSign(algorithm, data, this.#privateKey), key: { $case: 'x509Certificate', certificate: this.#certificatePem } };
  }
}
