/**
 * Reads one Sigstore bundle file as untrusted bytes: strict UTF-8 JSON; every bytes field
 * real base64 and every log index, time or tree size a non-negative integer (the protobuf
 * JSON reader underneath skips bad base64 characters and takes "-1"); then the bundle
 * format's own field checks (@sigstore/bundle). Anything wrong becomes SIGNATURE_MALFORMED,
 * never a parser's exception.
 */
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { MigsealError } from '../errors.js';
import { decodeUtf8Strict, parseStrictJson } from '../format/strict-json.js';

// Standard or URL-safe base64, padded or not, as protobuf's JSON mapping allows; line breaks are
// skipped, as Go's and Node's decoders do (the `base64` tool wraps its output).
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const LINE_BREAKS = /\r?\n/g;
const UINT = /^(?:0|[1-9][0-9]{0,19})$/;

const TLOG = 'verificationMaterial.tlogEntries[]';
const BYTES_FIELDS = [
  'messageSignature.messageDigest.digest',
  'messageSignature.signature',
  'dsseEnvelope.payload',
  'dsseEnvelope.signatures[].sig',
  'verificationMaterial.certificate.rawBytes',
  'verificationMaterial.x509CertificateChain.certificates[].rawBytes',
  'verificationMaterial.timestampVerificationData.rfc3161Timestamps[].signedTimestamp',
  `${TLOG}.logId.keyId`,
  `${TLOG}.canonicalizedBody`,
  `${TLOG}.inclusionPromise.signedEntryTimestamp`,
  `${TLOG}.inclusionProof.rootHash`,
  `${TLOG}.inclusionProof.hashes[]`,
];
const COUNT_FIELDS = [`${TLOG}.logIndex`, `${TLOG}.integratedTime`, `${TLOG}.inclusionProof.logIndex`, `${TLOG}.inclusionProof.treeSize`];

/** `subject` names the file in the message, e.g. `The signature signatures/1.sigstore.json`. */
export function parseSigstoreBundle(bytes: Buffer, subject: string): Bundle {
  const malformed = (why: string, cause?: unknown) => new MigsealError('SIGNATURE_MALFORMED', `${subject} is not a valid Sigstore bundle: ${why}.`, cause === undefined ? {} : { cause });
  let raw: unknown;
  try {
    raw = parseStrictJson(decodeUtf8Strict(bytes));
  } catch (error) {
    throw malformed((error as Error).message, error);
  }
  const problem = fieldProblem(raw);
  if (problem) throw malformed(problem);
  try {
    return bundleFromJSON(raw);
  } catch (error) {
    throw malformed((error as Error).message, error);
  }
}

function fieldProblem(raw: unknown): string | undefined {
  for (const field of BYTES_FIELDS) {
    for (const [at, value] of valuesAt(raw, field)) {
      const text = typeof value === 'string' ? value.replace(LINE_BREAKS, '') : undefined;
      if (text === undefined || !BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) return `${at} is not base64`;
    }
  }
  for (const field of COUNT_FIELDS) {
    for (const [at, value] of valuesAt(raw, field)) {
      const ok = typeof value === 'number' ? Number.isSafeInteger(value) && value >= 0 : typeof value === 'string' && UINT.test(value);
      if (!ok) return `${at} is not a non-negative integer`;
    }
  }
  return undefined;
}

// The values found at a dotted path where `[]` steps into every element of an array; absent fields yield nothing.
function valuesAt(root: unknown, path: string): Array<[string, unknown]> {
  let found: Array<[string, unknown]> = [['$', root]];
  for (const step of path.split('.')) {
    const name = step.endsWith('[]') ? step.slice(0, -2) : step;
    const next: Array<[string, unknown]> = [];
    for (const [at, value] of found) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
      const child = (value as Record<string, unknown>)[name];
      if (child === undefined) continue;
      if (!step.endsWith('[]')) next.push([`${at}.${name}`, child]);
      else if (Array.isArray(child)) child.forEach((item, i) => next.push([`${at}.${name}[${i}]`, item]));
    }
    found = next;
  }
  return found;
}
