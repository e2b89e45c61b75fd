/** Checks that every file's size and SHA-256 match what the signed manifest says. */
import { MigsealError } from '../errors.js';
import { sha256Hex } from './digest.js';
import type { Manifest } from './manifest.js';

/** `digests` holds SHA-256s computed while the archive was decoded; files missing from it are hashed here. */
export function checkFileDigests(files: ReadonlyMap<string, Buffer>, manifest: Manifest, digests?: ReadonlyMap<string, string>): void {
  for (const expected of manifest.files) {
    const data = files.get(expected.path)!;
    check(expected, data.length, () => digests?.get(expected.path) ?? sha256Hex(data));
  }
}

/** The same check from sizes and SHA-256s taken while the archive was read, when no file's bytes were kept. */
export function checkFileHashes(sizes: ReadonlyMap<string, number>, digests: ReadonlyMap<string, string>, manifest: Manifest): void {
  for (const expected of manifest.files) check(expected, sizes.get(expected.path)!, () => digests.get(expected.path));
}

function check(expected: Manifest['files'][number], size: number, digest: () => string | undefined): void {
  if (size !== expected.size) {
    throw new MigsealError('FILE_DIGEST_MISMATCH', `The file ${expected.path} is ${size} bytes, but the signed manifest says ${expected.size}.`);
  }
  if (digest() !== expected.sha256) {
    throw new MigsealError('FILE_DIGEST_MISMATCH', `The file ${expected.path} does not match its SHA-256 in the signed manifest.`);
  }
}
