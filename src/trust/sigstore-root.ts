/**
 * Sigstore trusted roots, read offline: the public-good root that ships inside
 * @sigstore/tuf (its TUF seed holds trusted_root.json, base64), or a trusted_root.json the
 * policy names. Nothing here touches the network.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { MigsealError } from '../errors.js';
import { DISK_TRUST_FILES, type TrustFiles } from './file-permissions.js';
import { decodeUtf8Strict, parseStrictJson } from '../format/strict-json.js';

export const PUBLIC_GOOD = 'sigstore-public-good';
const PUBLIC_GOOD_REPOSITORY = 'https://tuf-repo-cdn.sigstore.dev';

let publicGood: TrustedRoot | undefined;

/** The public-good trusted root embedded in @sigstore/tuf's seed, parsed once. */
export function publicGoodTrustedRoot(): TrustedRoot {
  if (publicGood) return publicGood;
  try {
    const require = createRequire(import.meta.url);
    const seeds = JSON.parse(readFileSync(require.resolve('@sigstore/tuf/seeds.json'), 'utf8')) as Record<string, { targets?: Record<string, string> }>;
    const encoded = seeds[PUBLIC_GOOD_REPOSITORY]?.targets?.['trusted_root.json'];
    if (typeof encoded !== 'string') throw unreadablePublicGood('the seed has no trusted_root.json');
    publicGood = TrustedRoot.fromJSON(JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')));
    return publicGood;
  } catch (error) {
    if (error instanceof MigsealError) throw error;
    throw unreadablePublicGood((error as Error).message, error);
  }
}

function unreadablePublicGood(why: string, cause?: unknown): MigsealError {
  return new MigsealError('IO', `Cannot read the Sigstore public-good trusted root shipped with @sigstore/tuf: ${why}.`, cause === undefined ? {} : { cause });
}

/** A Sigstore trusted_root.json file (for example a private Sigstore instance's). */
export function loadTrustedRootFile(path: string, files: TrustFiles = DISK_TRUST_FILES): TrustedRoot {
  let raw: unknown;
  try {
    raw = parseStrictJson(decodeUtf8Strict(files.read(path)));
  } catch (error) {
    if (error instanceof MigsealError) throw error;
    throw new MigsealError('POLICY_INVALID', `The trusted root ${path} cannot be read as strict JSON: ${(error as Error).message}.`, { cause: error });
  }
  const invalid = (why: string, cause?: unknown) => new MigsealError('POLICY_INVALID', `The trusted root ${path} is not a Sigstore trusted root: ${why}.`, cause === undefined ? {} : { cause });
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(raw);
  } catch (error) {
    throw invalid((error as Error).message, error);
  }
  if (root.certificateAuthorities.length === 0) throw invalid('it names no certificate authority');
  // A private instance may have no logs and vouch for signing times with its timestamp authority alone; a root with neither
  // could never say when a short-lived certificate was used.
  if (root.tlogs.length === 0 && root.timestampAuthorities.length === 0) throw invalid('it names neither a transparency log nor a timestamp authority, so nothing could vouch for when a certificate was used');
  const unbounded = unboundedEntries(root);
  if (unbounded.length > 0) throw invalid(`${unbounded.join(', ')} ${unbounded.length === 1 ? 'has' : 'have'} no start of validity`);
  return root;
}

// Every key and authority must say from when it is trusted: a missing start is not "since always".
function unboundedEntries(root: TrustedRoot): string[] {
  const ranges: Array<[string, Array<{ start?: Date } | undefined>]> = [
    ['tlogs', root.tlogs.map((t) => t.publicKey?.validFor)],
    ['ctlogs', root.ctlogs.map((t) => t.publicKey?.validFor)],
    ['certificateAuthorities', root.certificateAuthorities.map((c) => c.validFor)],
    ['timestampAuthorities', root.timestampAuthorities.map((c) => c.validFor)],
  ];
  return ranges.flatMap(([name, list]) => list.flatMap((range, i) => (range?.start ? [] : [`${name}[${i}]`])));
}
