/**
 * What a bundle claims, read without a trust policy: the archive decoded strictly, the
 * release identity (the SHA-256 of manifest.json's exact bytes), the manifest parsed
 * strictly, and the archive holding exactly the manifest's files with their sizes and
 * SHA-256s. No signature is checked here: inspect, diff and sign read a bundle this way
 * before they describe, compare or co-sign it; verify/index.ts checks the signatures first.
 */
import { MigsealError } from '../errors.js';
import { decodeBundle, type BundleContents, type BundleSource } from './bundle-archive.js';
import { checkFileDigests } from './check-file-digests.js';
import { checkFileSet } from './check-file-set.js';
import { sha256Hex } from './digest.js';
import { parseManifest, type Manifest } from './manifest.js';

export interface ClaimedContents {
  contents: BundleContents;
  /** The release identity: SHA-256 of manifest.json's exact bytes. */
  digest: string;
  manifest: Manifest;
  /** False only with fileMismatch: 'report', when the files are not exactly the manifest's. */
  filesMatch: boolean;
}

export interface ClaimedOptions {
  /** refuse (the default): FILE_SET_MISMATCH or FILE_DIGEST_MISMATCH. report: say so in filesMatch. */
  fileMismatch?: 'refuse' | 'report';
}

export async function readClaimedContents(bundle: Buffer | BundleSource, options: ClaimedOptions = {}): Promise<ClaimedContents> {
  return claimedContents(await decodeBundle(bundle, { hash: true }), options);
}

/** The same from a bundle already decoded. */
export function claimedContents(contents: BundleContents, options: ClaimedOptions = {}): ClaimedContents {
  const digest = contents.manifestSha256 ?? sha256Hex(contents.manifestBytes);
  const manifest = parseManifest(contents.manifestBytes);
  let filesMatch = true;
  try {
    checkFileSet(contents.files, manifest);
    checkFileDigests(contents.files, manifest, contents.digests);
  } catch (error) {
    const mismatch = error instanceof MigsealError && (error.code === 'FILE_SET_MISMATCH' || error.code === 'FILE_DIGEST_MISMATCH');
    if (!mismatch || options.fileMismatch !== 'report') throw error;
    filesMatch = false;
  }
  return { contents, digest, manifest, filesMatch };
}
