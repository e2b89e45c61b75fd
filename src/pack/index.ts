/**
 * Packs a migrations folder into a bundle: reads the layout, hashes every file, writes the
 * canonical manifest, signs it, has the release signer sign the build provenance, and
 * encodes the archive. The same inputs give the same bytes.
 */
import { MigsealError } from '../errors.js';
import { encodeBundle } from '../format/bundle-encode.js';
import { sha256Hex } from '../format/digest.js';
import { isReleaseVersion } from '../format/release-version.js';
import { canonicalCopy } from '../format/strict-json.js';
import { MANIFEST_FORMAT, serializeManifest, validateManifest, DIALECTS, type Dialect, type Manifest, type ManifestFinding } from '../format/manifest.js';
import { readFolder } from '../layouts/folder.js';
import { chooseLayout } from '../layouts/index.js';
import { signManifest } from '../signing/sign-manifest.js';
import { signStatement } from '../signing/sign-statement.js';
import { buildProvenance, type ProvenanceStatement } from '../format/provenance-statement.js';
import type { Signer } from '../signing/signer.js';
import type { Witness } from '@sigstore/sign';
import type { Role } from '../format/statement.js';
import { readSource, type SourceFlags } from './source-info.js';
import { ANALYSIS_TOOL } from '../lint/index.js';
import { startAnalysis } from './analyze-in-parallel.js';
import { analysedDialects } from './analyze-folder.js';
import { refuseUnrunnable } from './refuse-unrunnable.js';
import { peerHistoryFor } from '../peer-history/index.js';

export interface PackOptions {
  dir: string;
  project: string;
  release: string;
  dialect?: Dialect;
  layout?: string;
  /** RFC 3339 time after which hosts refuse the release. */
  expiresAt?: string;
  source?: SourceFlags;
  signers?: Array<{ signer: Signer; role: Role; witnesses?: Witness[] }>;
  /** keep (the default) or off: whether runners keep the layout's own tool's history table. */
  peerHistory?: string;
  /** That table's name when it is not the tool's default. */
  peerTable?: string;
  /** Findings of static analysis to record in the manifest. */
  findings?: ManifestFinding[];
  env?: Record<string, string | undefined>;
}

export interface PackResult {
  bundle: Buffer;
  manifest: Manifest;
  digest: string;
  /** The SLSA provenance written (signed by the first release signer); absent without one. */
  provenance?: ProvenanceStatement;
  /** Files the folder's own tool would skip: carried in the bundle, never run. */
  notices: string[];
}

export async function pack(options: PackOptions): Promise<PackResult> {
  const env = options.env ?? process.env;
  if (!isReleaseVersion(options.release)) {
    throw new MigsealError('USAGE', `The release "${options.release}" is not a release version: use dot-separated numbers like 42 or 2026.11.3.`);
  }
  if (options.dialect && !DIALECTS.includes(options.dialect)) throw new MigsealError('USAGE', `Unknown dialect "${options.dialect}"; choose one of ${DIALECTS.join(', ')}.`);

  // The analysis of a second dialect starts loading in a worker now, while the folder is read.
  const analyse = startAnalysis(analysedDialects(options.dialect ?? 'any'));
  const listing = readFolder(options.dir);
  const layout = chooseLayout(options.layout ?? 'auto', listing);
  const found = layout.read(listing);
  if (found.migrations.length === 0) throw new MigsealError('LAYOUT_INVALID', `${options.dir}: no migrations found (${layout.name} layout).`);
  if (options.dialect && found.dialect && options.dialect !== found.dialect) {
    throw new MigsealError('LAYOUT_INVALID', `${options.dir}: the folder declares dialect ${found.dialect}, but --dialect is ${options.dialect}.`);
  }
  const peerHistory = peerHistoryFor(layout.name, options.peerHistory, options.peerTable);
  const { source, builderId, invocation, commitTime } = readSource(options.dir, options.source ?? {}, env);
  const epoch = sourceDateEpoch(env) ?? commitTime ?? 0;

  // The same analysis as `migseal lint`, under every dialect the bundle may run on; every finding is signed into the manifest.
  const dialects = analysedDialects(options.dialect ?? found.dialect ?? 'any');
  const byDialect = await analyse(dialects, found.migrations, (p) => listing.read(p));
  const analysed = dialects.flatMap((dialect, i) => (dialects.length > 1 ? byDialect[i]!.map((f) => ({ ...f, dialect })) : byDialect[i]!));
  const findings = [...(options.findings ?? []), ...analysed];
  refuseUnrunnable(findings);

  const manifestDialect = options.dialect ?? found.dialect ?? 'any';
  const files = new Map<string, Buffer>();
  for (const path of [...found.files].sort()) files.set(path, listing.read(path));
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    project: options.project,
    release: options.release,
    dialect: manifestDialect,
    layout: layout.name,
    createdAt: new Date(epoch * 1000).toISOString().replace('.000Z', 'Z'),
    ...(options.expiresAt && { expiresAt: normalizeTime(options.expiresAt) }),
    source,
    builder: { id: builderId },
    migrations: found.migrations,
    files: [...files].map(([path, data]) => ({ path, sha256: sha256Hex(data), size: data.length })),
    findings,
    ...(dialects.length === 1 && { analysis: { tool: ANALYSIS_TOOL, dialect: dialects[0]! } }),
    ...(dialects.length > 1 && { analysis: { tool: ANALYSIS_TOOL, dialect: manifestDialect, dialects } }),
    ...(peerHistory && { peerHistory }),
  };
  // The manifest is checked as a verifier will read it: as JSON, without the fields left undefined.
  // Its canonical copy is that JSON value already (keys sorted), and becomes the manifest's bytes
  // in one JSON.stringify; a value it cannot copy so is taken through JSON and canonicalJson as it
  // always was. A manifest with problems is checked again in its own key order, for their order.
  const json = canonicalCopy(manifest);
  if (json === undefined || validateManifest(json).length > 0) {
    const problems = validateManifest(JSON.parse(JSON.stringify(manifest)));
    if (problems.length) throw new MigsealError('USAGE', `Cannot pack: ${problems.join('; ')}.`);
  }
  const manifestBytes = json === undefined ? serializeManifest(manifest) : Buffer.from(`${JSON.stringify(json)}\n`, 'utf8');
  const digest = sha256Hex(manifestBytes);
  const signatures: Buffer[] = [];
  for (const { signer, role, witnesses } of options.signers ?? []) {
    signatures.push(await signManifest(digest, { role, project: manifest.project, release: manifest.release }, signer, witnesses));
  }
  // The build provenance is the release signer's word on how the manifest was made; one per bundle.
  const releaser = (options.signers ?? []).find((s) => s.role === 'release');
  const provenance = releaser ? buildProvenance(digest, manifest, invocation) : undefined;
  const attestations = releaser && provenance ? [await signStatement(provenance, releaser.signer, releaser.witnesses)] : [];
  const bundle = encodeBundle({ manifestBytes, files, signatures, attestations }, sourceDateEpoch(env) ?? 0);
  return { bundle, manifest, digest, ...(provenance && { provenance }), notices: found.notices ?? [] };
}

function sourceDateEpoch(env: Record<string, string | undefined>): number | undefined {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return undefined;
  if (!/^[0-9]{1,11}$/.test(raw)) throw new MigsealError('USAGE', `SOURCE_DATE_EPOCH must be a whole number of seconds, not "${raw}".`);
  return Number(raw);
}

function normalizeTime(value: string): string {
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(value) || Number.isNaN(t)) {
    throw new MigsealError('USAGE', `"${value}" is not a time; use RFC 3339, like 2027-01-31T00:00:00Z.`);
  }
  return new Date(t).toISOString().replace('.000Z', 'Z');
}
