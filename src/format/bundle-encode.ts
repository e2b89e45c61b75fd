/** Writes a bundle file: the entries sorted, fixed metadata, deterministic compression. */
import { attestationEntryName, signatureEntryName } from './bundle-archive.js';
import { gzipDeterministic } from './gzip-deterministic.js';
import { FILES_DIR, MANIFEST_PATH } from './manifest.js';
import { writeTar, type TarEntry } from './tar.js';

export function encodeBundle(
  contents: { manifestBytes: Buffer; files: ReadonlyMap<string, Buffer>; signatures: Iterable<Buffer>; attestations?: Iterable<Buffer> },
  mtime = 0,
): Buffer {
  const entries: TarEntry[] = [{ path: MANIFEST_PATH, data: contents.manifestBytes }];
  for (const [path, data] of contents.files) entries.push({ path: `${FILES_DIR}${path}`, data });
  const names = new Set<string>();
  const add = (name: string, data: Buffer) => {
    if (names.has(name)) return;
    names.add(name);
    entries.push({ path: name, data });
  };
  for (const attestation of contents.attestations ?? []) add(attestationEntryName(attestation), attestation);
  for (const signature of contents.signatures) add(signatureEntryName(signature), signature);
  return gzipDeterministic(writeTar(entries, mtime));
}
