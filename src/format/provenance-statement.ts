/**
 * The build provenance: a second in-toto Statement v1, with a SLSA Provenance v1 predicate,
 * whose one subject is the manifest. The manifest names every file's digest, so this one
 * subject binds the whole release, and the statement stays small however many files there are.
 *
 * Pure functions on values: build the statement from the manifest and the build's
 * invocation, check an untrusted one's every field, and read its claims back.
 */
import { MANIFEST_PATH, type Manifest } from './manifest.js';
import { isJsonObject, allowOnly, type JsonObject } from './json-shape.js';
import { envelopeProblems, STATEMENT_TYPE } from './statement.js';

export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
/** What `migseal pack` does, versioned: read a migrations folder, hash it, write the manifest. */
export const MIGSEAL_BUILD_TYPE = 'https://migseal.dev/pack/v1';

export const CI_SYSTEMS = ['github-actions', 'gitlab-ci'] as const;
export type CiSystem = (typeof CI_SYSTEMS)[number];

/** How this build was started: from the CI's standard variables, flags, or git. */
export interface BuildInvocation {
  ci?: CiSystem;
  /** A URI or id of this run, e.g. https://github.com/acme/shop/actions/runs/42/attempts/1. */
  invocationId?: string;
  /** The git ref built, e.g. refs/heads/main. */
  ref?: string;
  /** The migrations folder inside the repository, e.g. db/migrations. */
  path?: string;
  /** What started the run: GITHUB_EVENT_NAME or CI_PIPELINE_SOURCE. */
  event?: string;
}

export interface ProvenanceSource {
  repository?: string;
  ref?: string;
  path?: string;
  /** The working tree had changes git had not committed: the commit alone does not reproduce the release. */
  dirty?: true;
}

export interface ProvenancePredicate {
  buildDefinition: {
    buildType: typeof MIGSEAL_BUILD_TYPE;
    externalParameters: { project: string; release: string; layout: string; dialect: string; expiresAt?: string; source: ProvenanceSource };
    internalParameters?: { ci?: CiSystem; event?: string };
    resolvedDependencies: Array<{ uri?: string; digest?: { gitCommit: string } }>;
  };
  runDetails: { builder: { id: string }; metadata?: { invocationId: string } };
}

export interface ProvenanceStatement {
  _type: typeof STATEMENT_TYPE;
  subject: [{ name: typeof MANIFEST_PATH; digest: { sha256: string } }];
  predicateType: typeof SLSA_PROVENANCE_V1;
  predicate: ProvenancePredicate;
}

/** What a provenance says, flattened for people, policies and reports. */
export interface ProvenanceClaims {
  buildType: string;
  builderId: string;
  sourceRepository?: string;
  sourceCommit?: string;
  sourceRef?: string;
  sourceDirty?: true;
  invocationId?: string;
}

export function buildProvenance(manifestSha256: string, manifest: Manifest, invocation: BuildInvocation): ProvenanceStatement {
  const source: ProvenanceSource = {
    ...(manifest.source.repository !== undefined && { repository: manifest.source.repository }),
    ...(invocation.ref !== undefined && { ref: invocation.ref }),
    ...(invocation.path !== undefined && { path: invocation.path }),
    ...(manifest.source.dirty === true && { dirty: true as const }),
  };
  const internal = { ...(invocation.ci && { ci: invocation.ci }), ...(invocation.event !== undefined && { event: invocation.event }) };
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: MANIFEST_PATH, digest: { sha256: manifestSha256 } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: MIGSEAL_BUILD_TYPE,
        externalParameters: {
          project: manifest.project,
          release: manifest.release,
          layout: manifest.layout,
          dialect: manifest.dialect,
          ...(manifest.expiresAt !== undefined && { expiresAt: manifest.expiresAt }),
          source,
        },
        ...(Object.keys(internal).length > 0 && { internalParameters: internal }),
        resolvedDependencies: sourceDependency(source, manifest.source.commit),
      },
      runDetails: {
        builder: { id: manifest.builder.id },
        ...(invocation.invocationId !== undefined && { metadata: { invocationId: invocation.invocationId } }),
      },
    },
  };
}

/** The source as a SLSA resource descriptor: `git+<repository>@<ref>` and the commit; none when nothing is known. */
function sourceDependency(source: ProvenanceSource, commit: string | undefined): ProvenancePredicate['buildDefinition']['resolvedDependencies'] {
  const uri = source.repository === undefined ? undefined : `git+${source.repository}${source.ref === undefined ? '' : `@${source.ref}`}`;
  if (uri === undefined && commit === undefined) return [];
  return [{ ...(uri !== undefined && { uri }), ...(commit !== undefined && { digest: { gitCommit: commit } }) }];
}

export function provenanceClaims(statement: ProvenanceStatement): ProvenanceClaims {
  const { buildDefinition, runDetails } = statement.predicate;
  const { source } = buildDefinition.externalParameters;
  const commit = buildDefinition.resolvedDependencies[0]?.digest?.gitCommit;
  return {
    buildType: buildDefinition.buildType,
    builderId: runDetails.builder.id,
    ...(source.repository !== undefined && { sourceRepository: source.repository }),
    ...(commit !== undefined && { sourceCommit: commit }),
    ...(source.ref !== undefined && { sourceRef: source.ref }),
    ...(source.dirty === true && { sourceDirty: true as const }),
    ...(runDetails.metadata && { invocationId: runDetails.metadata.invocationId }),
  };
}

/** Checks every field of a parsed payload; returns all problems (empty when it is a migseal provenance). */
export function provenanceProblems(value: unknown): string[] {
  return envelopeProblems(
    value,
    SLSA_PROVENANCE_V1,
    (predicate) => {
      const p: string[] = [];
      allowOnly(predicate, '$.predicate', ['buildDefinition', 'runDetails'], p);
      checkBuildDefinition(predicate.buildDefinition, p);
      checkRunDetails(predicate.runDetails, p);
      return p;
    },
    true,
  );
}

function checkBuildDefinition(def: unknown, p: string[]): void {
  const at = '$.predicate.buildDefinition';
  if (!isJsonObject(def)) return void p.push(`${at} must be an object`);
  allowOnly(def, at, ['buildType', 'externalParameters', 'internalParameters', 'resolvedDependencies'], p);
  if (def.buildType !== MIGSEAL_BUILD_TYPE) p.push(`${at}.buildType must be ${MIGSEAL_BUILD_TYPE}`);
  const ext = def.externalParameters;
  let source: JsonObject | undefined;
  if (!isJsonObject(ext)) p.push(`${at}.externalParameters must be an object`);
  else {
    allowOnly(ext, `${at}.externalParameters`, ['project', 'release', 'layout', 'dialect', 'expiresAt', 'source'], p);
    for (const k of ['project', 'release', 'layout', 'dialect'] as const) text(ext[k], `${at}.externalParameters.${k}`, p);
    if (ext.expiresAt !== undefined) text(ext.expiresAt, `${at}.externalParameters.expiresAt`, p);
    if (!isJsonObject(ext.source)) p.push(`${at}.externalParameters.source must be an object`);
    else {
      source = ext.source;
      allowOnly(source, `${at}.externalParameters.source`, ['repository', 'ref', 'path', 'dirty'], p);
      for (const k of ['repository', 'ref', 'path'] as const) if (source[k] !== undefined) text(source[k], `${at}.externalParameters.source.${k}`, p);
      if (source.dirty !== undefined && source.dirty !== true) p.push(`${at}.externalParameters.source.dirty is true when present`);
    }
  }
  if (def.internalParameters !== undefined) {
    const int = def.internalParameters;
    if (!isJsonObject(int)) p.push(`${at}.internalParameters must be an object`);
    else {
      allowOnly(int, `${at}.internalParameters`, ['ci', 'event'], p);
      if (int.ci !== undefined && !CI_SYSTEMS.includes(int.ci as CiSystem)) p.push(`${at}.internalParameters.ci must be one of ${CI_SYSTEMS.join(', ')}`);
      if (int.event !== undefined) text(int.event, `${at}.internalParameters.event`, p);
    }
  }
  const deps = def.resolvedDependencies;
  if (!Array.isArray(deps) || deps.length > 1) return void p.push(`${at}.resolvedDependencies must list at most the one source`);
  const dep = deps[0];
  if (dep === undefined) return;
  if (!isJsonObject(dep)) return void p.push(`${at}.resolvedDependencies[0] must be an object`);
  allowOnly(dep, `${at}.resolvedDependencies[0]`, ['uri', 'digest'], p);
  if (dep.uri === undefined && dep.digest === undefined) p.push(`${at}.resolvedDependencies[0] must name a uri or a digest`);
  if (dep.digest !== undefined) {
    if (!isJsonObject(dep.digest) || typeof dep.digest.gitCommit !== 'string' || !/^[0-9a-f]{7,64}$/.test(dep.digest.gitCommit)) p.push(`${at}.resolvedDependencies[0].digest.gitCommit must be a hex commit id`);
    else allowOnly(dep.digest, `${at}.resolvedDependencies[0].digest`, ['gitCommit'], p);
  }
  // The descriptor restates the source; a uri that says something else is refused, so there is one answer to "which repository".
  if (source && typeof source.repository === 'string') {
    const want = `git+${source.repository}${typeof source.ref === 'string' ? `@${source.ref}` : ''}`;
    if (dep.uri !== want) p.push(`${at}.resolvedDependencies[0].uri must be ${want}, the source in externalParameters`);
  } else if (dep.uri !== undefined) p.push(`${at}.resolvedDependencies[0].uri names a repository that externalParameters.source does not`);
}

function checkRunDetails(run: unknown, p: string[]): void {
  const at = '$.predicate.runDetails';
  if (!isJsonObject(run)) return void p.push(`${at} must be an object`);
  allowOnly(run, at, ['builder', 'metadata'], p);
  if (!isJsonObject(run.builder) || typeof run.builder.id !== 'string' || run.builder.id === '') p.push(`${at}.builder.id must be a string`);
  else allowOnly(run.builder, `${at}.builder`, ['id'], p);
  if (run.metadata !== undefined) {
    if (!isJsonObject(run.metadata)) return void p.push(`${at}.metadata must be an object`);
    allowOnly(run.metadata, `${at}.metadata`, ['invocationId'], p);
    text(run.metadata.invocationId, `${at}.metadata.invocationId`, p);
  }
}

function text(v: unknown, at: string, p: string[]): void {
  if (typeof v !== 'string' || v === '' || v.length > 2048) p.push(`${at} must be a string`);
}
