/**
 * Fuzz targets: every reader of untrusted bytes, called as migseal calls it. A target may
 * throw only a MigsealError (any code), or, for a pure format layer that its callers turn
 * into coded errors, that layer's own error class (listed in `formatErrors`). Anything else
 * thrown, a hang or runaway memory is a finding. The same targets run under Jazzer.js
 * (scripts/fuzz.mjs, coverage-guided) and, briefly, in the test suite (fuzz.test.ts); world.ts
 * writes what they read.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MigsealError } from '../../src/errors.js';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { dbmateSections, inTransaction } from '../../src/format/dbmate-sections.js';
import { parseManifest } from '../../src/format/manifest.js';
import { canonicalByParts, canonicalJson, decodeUtf8Strict, parseStrictJson, StrictJsonError } from '../../src/format/strict-json.js';
import { readTar, TarError } from '../../src/format/tar.js';
import { AcceptedFields, chunkOf, decodeHeader, isZero } from '../../src/format/tar-header.js';
import { referenceValidateManifest } from './reference/manifest-validation.js';
import { referenceDecodeHeader } from './reference/tar-header.js';
import { chooseLayout } from '../../src/layouts/index.js';
import { readCommonPgDdl } from '../../src/lint/pg/common-ddl.js';
import { parseSync } from '../../src/lint/pg/libpg.js';
import type { FolderListing } from '../../src/layouts/layout.js';
import { DISK_TRUST_FILES, type TrustFiles } from '../../src/trust/file-permissions.js';
import { parseTrustPolicy, type TrustPolicy } from '../../src/trust/policy.js';
import { publicGoodTrustedRoot } from '../../src/trust/sigstore-root.js';
import { verifyPolicySigner } from '../../src/verify/policy-signer.js';

export interface FuzzTarget {
  name: string;
  /** What the bytes are, in one line. */
  reads: string;
  /** Errors of a pure format layer, mapped to coded errors by every caller. */
  formatErrors?: ReadonlyArray<new (...args: never[]) => Error>;
  /** True when `run` returns a promise (Jazzer.js then runs without --sync). */
  async?: boolean;
  run(data: Buffer): void | Promise<void>;
}

/** What the targets need: a policy naming a key and a public-good identity, and seeds per target. */
export interface FuzzWorld {
  policy: TrustPolicy;
  policyPath: string;
  seeds: Record<string, Buffer[]>;
}

const NOW = new Date('2026-06-01T00:00:00Z');

/** Reads a world that makeWorld wrote, synchronously (a Jazzer.js target module loads it). */
export function loadWorld(dir: string): FuzzWorld {
  const policyPath = join(dir, 'trust.json');
  publicGoodTrustedRoot();
  const seeds: Record<string, Buffer[]> = {};
  for (const name of readdirSync(join(dir, 'seeds'))) seeds[name] = readdirSync(join(dir, 'seeds', name)).sort().map((file) => readFileSync(join(dir, 'seeds', name, file)));
  return { policy: parseTrustPolicy(readFileSync(policyPath), policyPath), policyPath, seeds };
}

export function targets(world: FuzzWorld): FuzzTarget[] {
  const trustFiles = rememberedTrustFiles();
  const manifestSha256 = createHash('sha256').update(world.seeds.manifest![0]!).digest('hex');
  return [
    {
      name: 'bundle-archive',
      // Mutated gzip bytes rarely keep a valid checksum, so on its own this target stays in the gzip layer.
      reads: 'a bundle file: gzip, then tar, then the entry layout (decodeBundle); a first byte 1 gzips the rest first, so that mutations reach the tar and entry rules, any other first byte takes the rest as the file',
      async: true,
      run: async (data) => void (await decodeBundle(data[0] === 1 ? gzipSync(data.subarray(1), { level: 1 }) : data.subarray(1), { hash: true })),
    },
    {
      name: 'tar',
      reads: 'an uncompressed tar stream (readTar, strict ustar)',
      formatErrors: [TarError],
      run: (data) => {
        sameHeaders(data);
        readTar(data, { hash: true });
      },
    },
    {
      name: 'strict-json',
      reads: 'UTF-8 bytes parsed as strict JSON',
      formatErrors: [StrictJsonError],
      run: (data) => void parseStrictJson(decodeUtf8Strict(data)),
    },
    {
      name: 'manifest',
      reads: 'manifest.json (parseManifest), its problems held against the reference validation',
      run: (data) => parseManifestAsReference(data),
    },
    {
      name: 'trust-policy',
      reads: "a host's trust policy file (parseTrustPolicy), the files it names checked and read once per path",
      run: (data) => void parseTrustPolicy(data, world.policyPath, trustFiles),
    },
    {
      name: 'sigstore-bundle',
      reads: 'a signature file in a bundle, read and verified against a policy with a key and a public-good identity',
      run: (data) => void verifyPolicySigner('signatures/fuzz.sigstore.json', data, manifestSha256, world.policy, NOW),
    },
    {
      name: 'dbmate-sections',
      reads: "a dbmate migration file split into its up and down blocks",
      run: (data) => {
        const sections = dbmateSections(data);
        if (typeof sections !== 'string') [sections.up, sections.down].forEach(inTransaction);
      },
    },
    {
      name: 'layouts',
      reads: 'a migrations folder (paths and contents) read by the layout it is detected as',
      // Layouts reach the SQL parser, whose WebAssembly loads asynchronously in the fuzzer's build.
      async: true,
      run: (data) => {
        const listing = decodeListing(data);
        chooseLayout('auto', listing).read(listing);
      },
    },
    {
      name: 'pg-common-ddl',
      reads: "a PostgreSQL script (UTF-8) read by the common-statement reader and, where it answers, by libpg_query: the two must give the same statements",
      // The parser's WebAssembly loads asynchronously in the fuzzer's build.
      async: true,
      run: (data) => sameAsPgParser(data.toString('utf8')),
    },
    {
      name: 'canonical-json',
      reads: 'UTF-8 text read by JSON.parse and, where it accepts it, by the strict parser: canonicalJson of each value must be canonicalByParts\'s, text or error',
      run: (data) => {
        const text = data.toString('utf8');
        for (const parse of [JSON.parse, parseStrictJson] as Array<(text: string) => unknown>) {
          let value: unknown;
          try {
            value = parse(text);
          } catch {
            continue;
          }
          const ours = outcome(() => canonicalJson(value));
          const reference = outcome(() => canonicalByParts(value));
          if (JSON.stringify(ours) !== JSON.stringify(reference)) differs(`canonicalJson of ${text.slice(0, 200)}`, ours, reference);
        }
      },
    },
  ];
}

/**
 * A script the common-statement reader reads must be one the parser reads, to the same
 * statements (nodes, keys, key order, locations, spans); a script it leaves is the parser's.
 */
function sameAsPgParser(text: string): void {
  const ours = readCommonPgDdl(text);
  if (ours === undefined) return;
  let theirs: string;
  try {
    theirs = JSON.stringify((parseSync(text) as { stmts?: unknown[] }).stmts ?? []);
  } catch (error) {
    differs(`readCommonPgDdl on ${JSON.stringify(text)}`, ours, `the parser refuses it: ${(error as Error).message}`);
  }
  if (JSON.stringify(ours) !== theirs) differs(`readCommonPgDdl on ${JSON.stringify(text)}`, ours, JSON.parse(theirs));
}

/**
 * A difference between two implementations that must agree: a finding (a plain Error, which
 * `judge` rethrows), with both outcomes.
 */
function differs(what: string, ours: unknown, reference: unknown): never {
  throw new Error(`${what} differs from its reference: ${JSON.stringify(ours)} against ${JSON.stringify(reference)}`);
}

/** What a call gave: its value, or its error's class, reason and message. */
function outcome(call: () => unknown): unknown {
  try {
    return { value: call() };
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    return { error: error.name, message: error.message, ...((error as { reason?: string }).reason !== undefined && { reason: (error as { reason?: string }).reason }) };
  }
}

/**
 * Every non-zero block of `data` decoded as a header by decodeHeader, which skips the checks of
 * fields equal to those of the last header it accepted, and by the reference decoder, which
 * checks every field: the same path, size and mtime, or the same error, block after block.
 */
function sameHeaders(data: Buffer): void {
  const chunk = chunkOf(data);
  const accepted = new AcceptedFields();
  for (let at = 0; at + 512 <= data.length; at += 512) {
    if (isZero(chunk, at, at + 512)) continue;
    const ours = JSON.stringify(outcome(() => decodeHeader(chunk, at, accepted)));
    const reference = JSON.stringify(outcome(() => referenceDecodeHeader(chunk, at)));
    if (ours !== reference) differs(`decodeHeader at byte ${at}`, ours, reference);
  }
}

/**
 * parseManifest, its problems (or its acceptance) held against the reference validation of the
 * same strictly parsed value: the same problems, in the same order. Throws what parseManifest threw.
 */
function parseManifestAsReference(data: Buffer): void {
  let refused: unknown;
  try {
    parseManifest(data);
  } catch (error) {
    refused = error;
  }
  let value: unknown;
  try {
    value = parseStrictJson(decodeUtf8Strict(data));
  } catch {
    if (!(refused instanceof MigsealError) || refused.code !== 'MANIFEST_MALFORMED') differs('parseManifest', String(refused), 'MANIFEST_MALFORMED');
    throw refused;
  }
  const reference = referenceValidateManifest(value);
  const ours = refused instanceof MigsealError && refused.code === 'MANIFEST_INVALID' ? (refused.details as { problems: string[] }).problems : refused === undefined ? [] : String(refused);
  if (JSON.stringify(ours) !== JSON.stringify(reference)) differs('parseManifest', ours, reference);
  if (refused !== undefined) throw refused;
}

/** Rethrows `error` when it is a finding: not a coded error, nor the target's own format error. */
export function judge(target: FuzzTarget, error: unknown): void {
  if (error instanceof MigsealError) return;
  if (target.formatErrors?.some((type) => error instanceof type)) return;
  throw error;
}

/**
 * The policy's files as migseal checks and reads them, each path's verdict and bytes (or error)
 * kept after the first time: the same key file read on every input made the target a fifth as
 * fast, and the permission walk and the read are not what is fuzzed. Mutated paths are many and
 * mostly missing, so the memory holds a few thousand paths and then starts afresh.
 */
function rememberedTrustFiles(): TrustFiles {
  const LIMIT = 4096;
  const problems = new Map<string, string | undefined>();
  const reads = new Map<string, { bytes: Buffer } | { error: unknown }>();
  const remember = <T>(map: Map<string, T>, path: string, make: () => T): T => {
    if (!map.has(path)) {
      if (map.size >= LIMIT) map.clear();
      map.set(path, make());
    }
    return map.get(path)!;
  };
  return {
    problem: (path) => remember(problems, path, () => DISK_TRUST_FILES.problem(path)),
    read: (path) => {
      const read = remember(reads, path, () => {
        try {
          return { bytes: DISK_TRUST_FILES.read(path) };
        } catch (error) {
          return { error };
        }
      });
      if ('error' in read) throw read.error;
      return Buffer.from(read.bytes);
    },
  };
}

// The inverse of world.ts's encodeListing: path NUL content NUL, repeated.
function decodeListing(data: Buffer): FolderListing {
  const files = new Map<string, Buffer>();
  let at = 0;
  while (at < data.length) {
    const pathEnd = data.indexOf(0, at);
    if (pathEnd < 0) break;
    const contentEnd = data.indexOf(0, pathEnd + 1);
    const path = data.subarray(at, pathEnd).toString('utf8');
    const content = data.subarray(pathEnd + 1, contentEnd < 0 ? data.length : contentEnd);
    if (path !== '' && !files.has(path)) files.set(path, Buffer.from(content));
    at = contentEnd < 0 ? data.length : contentEnd + 1;
  }
  const paths = [...files.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return { paths, read: (path) => files.get(path) ?? Buffer.alloc(0) };
}
