/**
 * What a bundle claims, read without a trust policy: for people deciding whether to sign
 * or approve, and for auditors. Signatures are described, not trusted.
 */
import { bundleFromJSON } from '@sigstore/bundle';
import { decodeBundle } from '../format/bundle-archive.js';
import { sha256Hex } from '../format/digest.js';
import { parseManifest, type Manifest } from '../format/manifest.js';
import { decodeUtf8Strict, parseStrictJson } from '../format/strict-json.js';
import { statementProblems, type ReleaseStatement } from '../signing/statement.js';
import { checkFileSet } from '../verify/check-file-set.js';
import { checkFileDigests } from '../verify/check-file-digests.js';

export interface SignatureClaim {
  entry: string;
  role?: string;
  keyId?: string;
  identity?: string;
  problem?: string;
}

export interface InspectReport {
  digest: string;
  manifest: Manifest;
  filesMatch: boolean;
  signatures: SignatureClaim[];
}

export async function inspectBundle(bundle: Buffer): Promise<InspectReport> {
  const contents = await decodeBundle(bundle);
  const digest = sha256Hex(contents.manifestBytes);
  const manifest = parseManifest(contents.manifestBytes);
  let filesMatch = true;
  try {
    checkFileSet(contents.files, manifest);
    checkFileDigests(contents.files, manifest);
  } catch {
    filesMatch = false;
  }
  const signatures = [...contents.signatures].map(([entry, bytes]) => describeSignature(entry, bytes, digest));
  return { digest, manifest, filesMatch, signatures };
}

/** What one signature file claims (role, key id or certificate), or why it cannot be read. */
export function describeSignature(entry: string, bytes: Buffer, digest: string): SignatureClaim {
  try {
    const bundle = bundleFromJSON(parseStrictJson(decodeUtf8Strict(bytes)));
    const material = bundle.verificationMaterial.content;
    const who = material.$case === 'publicKey' ? { keyId: material.publicKey.hint } : { identity: 'certificate' };
    if (bundle.content.$case !== 'dsseEnvelope') return { entry, ...who, problem: 'not a DSSE bundle' };
    const statement = parseStrictJson(decodeUtf8Strict(bundle.content.dsseEnvelope.payload)) as unknown as ReleaseStatement;
    const problems = statementProblems(statement);
    if (problems.length) return { entry, ...who, problem: problems.join('; ') };
    return {
      entry,
      role: statement.predicate.role,
      ...who,
      ...(statement.subject[0].digest.sha256 !== digest && { problem: 'signs another manifest' }),
    };
  } catch (error) {
    return { entry, problem: `unreadable: ${(error as Error).message}` };
  }
}
