/**
 * The bundle file: gzip(tar) with `manifest.json`, migration files under `files/`, one
 * Sigstore bundle per signature under `signatures/`, and signed attestations about the
 * release (the build provenance) under `attestations/`. Decoding is strict and happens
 * entirely in memory; encoding (bundle-encode.ts) is deterministic.
 */
import { MigsealError, type ErrorCode } from '../errors.js';
import { decompressionCap, gunzipStream, gunzipWhole, GunzipError } from './gzip.js';
import { TarError, TarReader, type TarEntry } from './tar.js';
import type { Admission } from './tar-reader.js';
import { FILES_DIR, MANIFEST_PATH } from './manifest.js';
import { sha256Hex } from './digest.js';
import { LIMITS } from '../limits.js';

export const SIGNATURES_DIR = 'signatures/';
export const ATTESTATIONS_DIR = 'attestations/';
const SIGNATURE_SUFFIX = '.sigstore.json';

export interface BundleContents {
  manifestBytes: Buffer;
  /** Migration files keyed by their path relative to `files/`. */
  files: Map<string, Buffer>;
  /** Signature files keyed by their entry name. */
  signatures: Map<string, Buffer>;
  /** Attestation files (Sigstore bundles over statements other than the release statement) keyed by their entry name. */
  attestations: Map<string, Buffer>;
  /** The archive's entry mtime, kept when a signature is added. */
  mtime: number;
  /** Hex SHA-256 of each file, computed while decoding when asked to (keyed like `files`). */
  digests?: Map<string, string>;
  /** Hex SHA-256 of `manifestBytes` (the release identity), computed while decoding when asked to. */
  manifestSha256?: string;
  /** Files whose bytes `admitFile` said not to keep, with their sizes (keyed like `files`, absent from it). */
  notKept: Map<string, number>;
}

export interface DecodeOptions {
  /** Compute each file's SHA-256 while decoding. */
  hash?: boolean;
  /** Whether to keep a file's bytes (`name` relative to `files/`), decided from its header; default: keep. */
  admitFile?: (name: string, size: number) => Admission;
}

/** A bundle read in chunks (from a file, say) rather than held whole. */
export interface BundleSource {
  /** The compressed size: it sets the decompression cap before the first byte is read. */
  size: number;
  /** The bytes from the start, each time it is called (verify may read a large bundle twice). */
  chunks: () => Iterable<Buffer> | AsyncIterable<Buffer>;
}

/** The archive entry name for a signature: derived from its bytes, so adding the same one twice is a no-op. */
export function signatureEntryName(signature: Buffer, dir: string = SIGNATURES_DIR): string {
  return `${dir}${sha256Hex(signature).slice(0, 32)}${SIGNATURE_SUFFIX}`;
}

/** The archive entry name for an attestation, derived from its bytes like a signature's. */
export function attestationEntryName(attestation: Buffer): string {
  return signatureEntryName(attestation, ATTESTATIONS_DIR);
}

const TAR_CODES: Record<TarError['reason'], ErrorCode> = {
  malformed: 'ARCHIVE_MALFORMED',
  limit: 'ARCHIVE_LIMIT_EXCEEDED',
  'unsafe-entry': 'ARCHIVE_UNSAFE_ENTRY',
  'duplicate-entry': 'ARCHIVE_DUPLICATE_ENTRY',
};

/**
 * Decompresses and parses a bundle; refuses any entry outside the four known places. The
 * tar reader parses blocks as they inflate, and with `hash` each file's SHA-256 is computed
 * on the way, so a large file is read once, while zlib works on the next chunk.
 *
 * Only what can be used is held in memory: an entry outside the four places, a manifest or a
 * signature above its cap, or a file `admitFile` turns away is counted, never kept (nor hashed, unless admitFile asks),
 * and refused (or reported in `notKept`) once the archive is read.
 */
export async function decodeBundle(bundle: Buffer | BundleSource, options: DecodeOptions = {}): Promise<BundleContents> {
  const source = Buffer.isBuffer(bundle) ? { size: bundle.length, chunks: () => [bundle] } : bundle;
  if (source.size > LIMITS.maxBundleBytes) throw new MigsealError('ARCHIVE_LIMIT_EXCEEDED', `The bundle is larger than ${LIMITS.maxBundleBytes} bytes.`);
  let signatureCount = 0;
  let attestationCount = 0;
  const admit = (path: string, size: number): Admission => {
    if (path === MANIFEST_PATH) return size > LIMITS.maxManifestBytes ? 'count' : 'keep';
    if (path.startsWith(FILES_DIR)) return options.admitFile?.(path.slice(FILES_DIR.length), size) ?? 'keep';
    if (isSigstoreEntry(path, SIGNATURES_DIR)) return ++signatureCount > LIMITS.maxSignatures || size > LIMITS.maxSignatureBytes ? 'count' : 'keep';
    if (isSigstoreEntry(path, ATTESTATIONS_DIR)) return ++attestationCount > LIMITS.maxAttestations || size > LIMITS.maxSignatureBytes ? 'count' : 'keep';
    return 'count';
  };
  const reader = new TarReader({ maxArchiveBytes: decompressionCap(source.size), admit, copy: true, ...(options.hash && { hash: true }) });
  try {
    const whole = Buffer.isBuffer(bundle) ? bundle : heldWhole(source);
    const inflated = whole && gunzipWhole(whole);
    if (inflated) reader.push(inflated);
    else await gunzipStream(source.chunks(), source.size, (chunk) => reader.push(chunk));
  } catch (error) {
    if (error instanceof GunzipError) throw new MigsealError(error.reason === 'limit' ? 'ARCHIVE_LIMIT_EXCEEDED' : 'ARCHIVE_MALFORMED', `${error.message}.`, { cause: error });
    throw error;
  }
  let entries: TarEntry[];
  try {
    entries = reader.end();
  } catch (error) {
    if (error instanceof TarError) throw new MigsealError(TAR_CODES[error.reason], `The bundle's archive is refused: ${error.message}.`, { cause: error });
    throw error;
  }
  let manifestBytes: Buffer | undefined;
  let manifestSha256: string | undefined;
  let mtime = 0;
  const files = new Map<string, Buffer>();
  const digests = new Map<string, string>();
  const signatures = new Map<string, Buffer>();
  const attestations = new Map<string, Buffer>();
  const notKept = new Map<string, number>();
  let manifestSize = 0;
  for (const { path, data, sha256, notKept: dropped } of entries) {
    const size = dropped?.size ?? data.length;
    if (path === MANIFEST_PATH) {
      manifestBytes = data;
      manifestSha256 = sha256;
      manifestSize = size;
      mtime = entries.find((e) => e.path === MANIFEST_PATH)?.mtime ?? 0;
    }
    else if (path.startsWith(FILES_DIR)) {
      if (dropped) notKept.set(path.slice(FILES_DIR.length), size);
      else files.set(path.slice(FILES_DIR.length), data);
      if (sha256 !== undefined) digests.set(path.slice(FILES_DIR.length), sha256);
    }
    else if (isSigstoreEntry(path, SIGNATURES_DIR)) {
      if (signatures.size >= LIMITS.maxSignatures) throw new MigsealError('ARCHIVE_LIMIT_EXCEEDED', `The bundle holds more than ${LIMITS.maxSignatures} signatures.`);
      if (size > LIMITS.maxSignatureBytes) throw new MigsealError('ARCHIVE_LIMIT_EXCEEDED', `The signature ${path} is larger than ${LIMITS.maxSignatureBytes} bytes.`);
      signatures.set(path, data);
    } else if (isSigstoreEntry(path, ATTESTATIONS_DIR)) {
      if (attestations.size >= LIMITS.maxAttestations) throw new MigsealError('ARCHIVE_LIMIT_EXCEEDED', `The bundle holds more than ${LIMITS.maxAttestations} attestations.`);
      if (size > LIMITS.maxSignatureBytes) throw new MigsealError('ARCHIVE_LIMIT_EXCEEDED', `The attestation ${path} is larger than ${LIMITS.maxSignatureBytes} bytes.`);
      attestations.set(path, data);
    } else throw new MigsealError('FILE_SET_MISMATCH', `The bundle holds an unexpected entry ${JSON.stringify(path)} outside manifest.json, files/, signatures/ and attestations/.`);
  }
  if (manifestBytes === undefined) throw new MigsealError('FILE_SET_MISMATCH', 'The bundle has no manifest.json.');
  if (manifestSize > LIMITS.maxManifestBytes) throw new MigsealError('ARCHIVE_LIMIT_EXCEEDED', `The manifest is larger than ${LIMITS.maxManifestBytes} bytes.`);
  return { manifestBytes, files, signatures, attestations, mtime, notKept, ...(options.hash && { digests }), ...(options.hash && manifestSha256 !== undefined && { manifestSha256 }) };
}

/** The bytes of a source that holds its input whole in memory (one chunk, given as an array), else undefined. */
function heldWhole(source: BundleSource): Buffer | undefined {
  const chunks = source.chunks();
  return Array.isArray(chunks) && chunks.length === 1 && Buffer.isBuffer(chunks[0]) && chunks[0].length === source.size ? chunks[0] : undefined;
}

function isSigstoreEntry(path: string, dir: string): boolean {
  return path.startsWith(dir) && path.endsWith(SIGNATURE_SUFFIX) && !path.slice(dir.length).includes('/');
}
