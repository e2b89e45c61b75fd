/**
 * An organisation's own certificate authority, made with node-forge (RSA): a CA
 * certificate, and code-signing leaf certificates that carry a signer identity (SAN URI or
 * email) and the Fulcio issuer extensions, so they verify like Sigstore certificates.
 * Keys are generated with node:crypto (much faster than forge) and imported into forge.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { MigsealError } from '../errors.js';

export const OID_FULCIO_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
export const OID_FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const DAY_MS = 24 * 60 * 60 * 1000;

export interface PemPair {
  certificatePem: string;
  privateKeyPem: string;
}

export interface CaOptions {
  name: string;
  days: number;
  bits?: number;
  now?: Date;
  /** Encrypts the CA's private key (PKCS#8, AES-256-CBC). */
  passphrase?: string;
}

export interface LeafOptions {
  identity: string;
  issuer: string;
  days: number;
  bits?: number;
  /** Start of validity (default: now). Tests use it to make not-yet-valid and expired certificates. */
  notBefore?: Date;
}

export function createCa(options: CaOptions): PemPair {
  const { forgeKey, publicKey, privateKeyPem } = newRsaKey(options.bits ?? 3072, options.passphrase);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  setValidity(cert, options.now ?? new Date(), options.days);
  const subject = [{ name: 'commonName', value: options.name }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forgeKey, forge.md.sha256.create());
  return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem };
}

export function issueLeaf(ca: PemPair & { passphrase?: string }, options: LeafOptions): PemPair {
  const caCert = forge.pki.certificateFromPem(ca.certificatePem);
  const caKey = forge.pki.privateKeyFromPem(decryptedPkcs1(ca.privateKeyPem, ca.passphrase));
  const san = sanOf(options.identity);
  if (!/^https:\/\/[^\s]+$/.test(options.issuer)) throw new MigsealError('USAGE', `--issuer must be an https URL, not "${options.issuer}".`);
  const { publicKey, privateKeyPem } = newRsaKey(options.bits ?? 3072);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  setValidity(cert, options.notBefore ?? new Date(), options.days);
  if (cert.validity.notAfter > caCert.validity.notAfter) {
    throw new MigsealError('USAGE', `The certificate would outlive its CA, which expires at ${caCert.validity.notAfter.toISOString()}; issue it for fewer --days.`);
  }
  cert.setSubject([]);
  cert.setIssuer(caCert.subject.attributes);
  const issuerUtf8 = forge.util.encodeUtf8(options.issuer);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', codeSigning: true },
    { name: 'subjectAltName', altNames: [san], critical: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    { id: OID_FULCIO_ISSUER_V1, value: issuerUtf8 },
    { id: OID_FULCIO_ISSUER_V2, value: forge.asn1.toDer(forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.UTF8, false, issuerUtf8)).getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem };
}

function sanOf(identity: string): { type: number; value: string } {
  if (/^[^\s@/:]+@[^\s@/]+\.[^\s@/]+$/.test(identity)) return { type: 1, value: identity }; // rfc822Name
  if (/^[a-z][a-z0-9+.-]*:\/\/[^\s]+$/i.test(identity)) return { type: 6, value: identity }; // URI
  throw new MigsealError('USAGE', `--identity must be a URI (https://ci.example.com/shop/release@refs/heads/main) or an email address, not "${identity}".`);
}

function newRsaKey(bits: number, passphrase?: string): { forgeKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; privateKeyPem: string } {
  const pair = generateKeyPairSync('rsa', { modulusLength: bits });
  const forgeKey = forge.pki.privateKeyFromPem(pair.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.publicKeyFromPem(pair.publicKey.export({ type: 'spki', format: 'pem' }) as string) as forge.pki.rsa.PublicKey;
  const privateKeyPem = pair.privateKey.export(passphrase ? { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase } : { type: 'pkcs8', format: 'pem' }) as string;
  return { forgeKey, publicKey, privateKeyPem };
}

// forge reads only unencrypted keys: node:crypto decrypts, forge gets PKCS#1.
function decryptedPkcs1(pem: string, passphrase: string | undefined): string {
  try {
    const key = createPrivateKey(passphrase === undefined ? pem : { key: pem, format: 'pem', passphrase });
    return key.export({ type: 'pkcs1', format: 'pem' }) as string;
  } catch (error) {
    const encrypted = pem.includes('ENCRYPTED');
    throw new MigsealError(
      'KEY_INVALID',
      encrypted && passphrase === undefined ? 'The CA key is encrypted; set MIGSEAL_CA_PASSPHRASE or MIGSEAL_CA_PASSPHRASE_FILE.' : encrypted ? 'The CA key could not be decrypted with the given passphrase.' : 'The CA key is not a PEM private key.',
      { cause: error },
    );
  }
}

function setValidity(cert: forge.pki.Certificate, from: Date, days: number): void {
  if (!Number.isSafeInteger(days) || days < 1 || days > 3650) throw new MigsealError('USAGE', `--days must be a whole number from 1 to 3650, not ${days}.`);
  cert.validity.notBefore = new Date(from.getTime() - 60_000); // a minute of slack for clock skew
  cert.validity.notAfter = new Date(from.getTime() + days * DAY_MS);
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive
  return bytes.toString('hex');
}
