/**
 * One public key, one encoding. A key file may hold a PEM block (SPKI, or PKCS#1 for RSA),
 * the DER bytes themselves, or that DER in bare base64; an EC point may be compressed or not;
 * an RSA key may be labelled for PSS. All of these are the same key to whoever holds the
 * private half, so they are compared, and named by id, in one canonical SubjectPublicKeyInfo
 * DER: EC points uncompressed, RSA as rsaEncryption over its PKCS#1 modulus and exponent.
 * Threat T5.14.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { MigsealError } from '../errors.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END ([A-Z0-9 ]+)-----/g;
const PEM_TYPES: Record<string, 'spki' | 'pkcs1'> = { 'PUBLIC KEY': 'spki', 'RSA PUBLIC KEY': 'pkcs1' };

/** Parses a public key file named `source`; anything but exactly one public key is KEY_INVALID. */
export function publicKeyFromFile(bytes: Buffer, source: string): KeyObject {
  const invalid = (why: string, cause?: unknown) => new MigsealError('KEY_INVALID', `The file ${source} is not a public key: ${why}.`, cause === undefined ? {} : { cause });
  const text = bytes.toString('latin1');
  let der: Buffer;
  let type: 'spki' | 'pkcs1' = 'spki';
  if (text.includes('-----BEGIN')) {
    const blocks = [...text.matchAll(PEM_BLOCK)];
    if (blocks.length !== 1) throw invalid(blocks.length === 0 ? 'it has no complete PEM block' : 'it holds more than one PEM block, and a file names one key');
    const [, label, body, end] = blocks[0]!;
    if (!PEM_TYPES[label!] || end !== label) throw invalid(`it is a PEM "${label}" block, not a PUBLIC KEY`);
    type = PEM_TYPES[label!]!;
    der = strictBase64(body!) ?? Buffer.alloc(0);
  } else der = bytes[0] === 0x30 ? bytes : (strictBase64(text) ?? Buffer.alloc(0));
  try {
    return createPublicKey({ key: der, format: 'der', type });
  } catch (error) {
    throw invalid(`it is neither a PEM block, nor ${type === 'pkcs1' ? 'a PKCS#1' : 'an SPKI'} public key in DER or base64`, error);
  }
}

/** Base64 with any line breaks and spaces; undefined when it is not. */
function strictBase64(text: string): Buffer | undefined {
  const compact = text.replace(/[\t\n\r ]+/g, '');
  if (compact === '' || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

/** The key's canonical SPKI DER. */
export function canonicalSpki(key: KeyObject): Buffer {
  switch (key.asymmetricKeyType) {
    case 'ec':
      // Through JWK: the point's coordinates, re-encoded uncompressed.
      return createPublicKey({ key: key.export({ format: 'jwk' }), format: 'jwk' }).export({ type: 'spki', format: 'der' });
    case 'rsa-pss':
      return createPublicKey({ key: subjectPublicKey(key.export({ type: 'spki', format: 'der' })), format: 'der', type: 'pkcs1' }).export({ type: 'spki', format: 'der' });
    default:
      return key.export({ type: 'spki', format: 'der' });
  }
}

/** The subjectPublicKey BIT STRING's contents of an SPKI (for RSA, the PKCS#1 RSAPublicKey). */
function subjectPublicKey(spki: Buffer): Buffer {
  const outer = readTlv(spki, 0, 0x30);
  const algorithm = readTlv(spki, outer.start, 0x30);
  const bits = readTlv(spki, algorithm.end, 0x03);
  return spki.subarray(bits.start + 1, bits.end); // past the unused-bits byte
}

function readTlv(der: Buffer, at: number, tag: number): { start: number; end: number } {
  if (der[at] !== tag) throw notSpki();
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i]!;
    start += n;
  }
  if (start + length > der.length) throw notSpki();
  return { start, end: start + length };
}

// Only reached for a key Node has already parsed, so a failure here is a bug, not bad input.
function notSpki(): MigsealError {
  return new MigsealError('KEY_INVALID', 'A parsed RSA-PSS public key did not re-encode as a SubjectPublicKeyInfo.');
}
