/**
 * A small RFC 3161 timestamp authority for tests: a real ECDSA P-256 signing key, a
 * certificate for it issued by a real RSA root (both made here), and real TimeStampResp
 * DER over the bytes it is asked to stamp. It can also answer on loopback the way
 * Sigstore's timestamp-authority does (POST /api/v1/timestamp, JSON in, DER out), so
 * `migseal pack --timestamp-url` is exercised over real HTTP.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import forge from 'node-forge';
import { createCa, type PemPair } from '../../src/ca/certificates.js';

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;
const OID = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  policy: '1.3.6.1.4.1.57264.99.1',
};

export interface TestTsa {
  /** PEM certificates, leaf first, then the root. */
  chainPem: string[];
  /** A TimeStampResp over sha256(data), dated `at` (default: now). */
  timestamp(data: Buffer, at?: Date): Buffer;
  /** The same for a SHA-256 hash the client computed. */
  stampHash(hash: Buffer, at?: Date): Buffer;
}

const oid = (o: string) => asn1.create(U, T.OID, false, asn1.oidToDer(o).getBytes());
const int = (hex: string) => asn1.create(U, T.INTEGER, false, forge.util.hexToBytes(hex));
const small = (n: number) => asn1.create(U, T.INTEGER, false, asn1.integerToDer(n).getBytes());
const seq = (...items: forge.asn1.Asn1[]) => asn1.create(U, T.SEQUENCE, true, items);
const set = (...items: forge.asn1.Asn1[]) => asn1.create(U, T.SET, true, items);
const octets = (b: Buffer) => asn1.create(U, T.OCTETSTRING, false, b.toString('binary'));
const der = (a: forge.asn1.Asn1) => Buffer.from(asn1.toDer(a).getBytes(), 'binary');
const algId = (o: string, nullParams = false) => seq(oid(o), ...(nullParams ? [asn1.create(U, T.NULL, false, '')] : []));

export function makeTsa(options: { notBefore?: Date; days?: number } = {}): TestTsa {
  const root = createCa({ name: 'test timestamp root', days: 3650, bits: 2048, ...(options.notBefore && { now: options.notBefore }) });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { certificatePem, serialHex, issuerAsn1 } = issueEcCertificate(root, ec.publicKey, options.notBefore ?? new Date(), options.days ?? 3650);
  return {
    chainPem: [certificatePem, root.certificatePem],
    timestamp: (data, at = new Date()) => timestampResponse(createHash('sha256').update(data).digest(), at, ec.privateKey, serialHex, issuerAsn1),
    stampHash: (hash, at = new Date()) => timestampResponse(hash, at, ec.privateKey, serialHex, issuerAsn1),
  };
}

// forge only writes RSA keys into certificates: build the TBS with a stand-in key, put the EC key in, sign it ourselves.
function issueEcCertificate(root: PemPair, publicKey: KeyObject, from: Date, days: number) {
  const caCert = forge.pki.certificateFromPem(root.certificatePem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = caCert.publicKey;
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(from.getTime() - 60_000);
  cert.validity.notAfter = new Date(from.getTime() + days * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: 'test timestamp authority' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', timeStamping: true, critical: true },
  ]);
  cert.siginfo.algorithmOid = OID.sha256WithRsa;
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  (tbs.value as forge.asn1.Asn1[])[6] = asn1.fromDer(publicKey.export({ type: 'spki', format: 'der' }).toString('binary'));
  const tbsDer = der(tbs);
  const caKey = createPrivateKey(root.privateKeyPem);
  const signature = sign('sha256', tbsDer, caKey);
  const full = seq(tbs, algId(OID.sha256WithRsa, true), asn1.create(U, T.BITSTRING, false, `\u0000${signature.toString('binary')}`));
  const certificatePem = `-----BEGIN CERTIFICATE-----\n${der(full).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
  return { certificatePem, serialHex: cert.serialNumber, issuerAsn1: forge.pki.distinguishedNameToAsn1(caCert.subject) };
}

function timestampResponse(hash: Buffer, at: Date, key: KeyObject, serialHex: string, issuer: forge.asn1.Asn1): Buffer {
  const tstInfo = seq(
    small(1),
    oid(OID.policy),
    seq(algId(OID.sha256), octets(hash)),
    int(`01${randomBytes(8).toString('hex')}`),
    asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(at)),
  );
  const tstDer = der(tstInfo);
  const attributes = [
    seq(oid(OID.contentType), set(oid(OID.tstInfo))),
    seq(oid(OID.messageDigest), set(octets(createHash('sha256').update(tstDer).digest()))),
  ].sort((a, b) => Buffer.compare(der(a), der(b)));
  const signature = sign('sha256', der(set(...attributes)), key);
  const signerInfo = seq(
    small(1),
    seq(issuer, int(serialHex)),
    algId(OID.sha256),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, attributes),
    algId(OID.ecdsaSha256),
    octets(signature),
  );
  const signedData = seq(
    small(3),
    set(algId(OID.sha256)),
    seq(oid(OID.tstInfo), asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [octets(tstDer)])),
    set(signerInfo),
  );
  const token = seq(oid(OID.signedData), asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [signedData]));
  return der(seq(seq(small(0)), token));
}

/** Serves the TSA on 127.0.0.1 with Sigstore's timestamp API; close() when done. */
export async function serveTsa(tsa: TestTsa, at?: () => Date): Promise<{ url: string; requests: number; close: () => Promise<void> }> {
  const state = { requests: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      state.requests++;
      try {
        const request = JSON.parse(body) as { artifactHash: string; hashAlgorithm: string };
        if (req.url !== '/api/v1/timestamp' || request.hashAlgorithm !== 'sha256') throw new Error('bad request');
        // The client sends the hash; stamp it as the imprint directly.
        const response = tsa.stampHash(Buffer.from(request.artifactHash, 'base64'), at?.() ?? new Date());
        res.writeHead(201, { 'content-type': 'application/timestamp-reply' }).end(response);
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
