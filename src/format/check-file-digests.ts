/** Checks that every file's size and SHA-256 match what the signed manifest says. */
import { MigsealError } from '../errors.js';
import { sha256Hex } from './digest.js';
import type { Manifest } from './manifest.js';

/** `digests` holds SHA-256s computed while the archive was decoded; files missing from it are hashed here. */
export function checkFileDigests(files: ReadonlyMap<string, Buffer>, manifest: Manifest, digests?: ReadonlyMap<string, string>): void {
  for (const expected of manifest.files) {
    const data = files.get(expected.path)!;
    if (data.length !== expected.size) {
      throw new MigsealError('FILE_DIGEST_MISMATCH', `The file ${expected.path} is ${data.length} bytes, but the signed manifest says ${expected.size}.`);
    }
    const actual = digests?.get(expected.path) ?? sha256Hex(data);
    if (actual !== expected.sha256) {
      throw new MigsealError('FILE_DIGEST_MISMATCH', `The file ${expected.path} does not match its SHA-256 in the signed manifest.`);
    }
  }
}
