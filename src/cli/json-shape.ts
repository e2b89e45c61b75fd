/**
 * The one shape of every --json document (README "JSON output"): `ok`, always a boolean; on a
 * failure or a refusal, `error` {code, message, exitCode}; the database a command touched as
 * `database`; the bundle it read as `bundle` {path, digest, project, release, commit, verified};
 * the migrations it is about as `migrations` [{version, name, ...}]. Commands build their own
 * documents; this fills in what can be derived, so that no command can drift from the shape.
 */
import type { Manifest } from '../format/manifest.js';

type Doc = Record<string, unknown>;

export interface BundleJson {
  path: string | null;
  digest: string;
  project: string;
  release: string;
  commit: string | null;
  verified: boolean;
}

/** What every document says about the bundle a command read. */
export function bundleJson(path: string | undefined, digest: string, manifest: Pick<Manifest, 'project' | 'release' | 'source'>, verified: boolean): BundleJson {
  return { path: path ?? null, digest, project: manifest.project, release: manifest.release, commit: manifest.source?.commit ?? null, verified };
}

/** The migrations a document lists, each with its version and name first. */
export const migrationList = (list: ReadonlyArray<{ version: string; name: string }>): Array<{ version: string; name: string }> => list.map((m) => ({ ...m, version: m.version, name: m.name }));

/** A successful command's document, completed: `ok`, and `error` when it answers no with a code. */
export function successDocument(json: unknown, exitCode: number): unknown {
  if (!isDoc(json) || isSarif(json)) return json;
  const doc: Doc = { ok: typeof json.ok === 'boolean' ? json.ok : exitCode === 0, ...json };
  if (doc.database === undefined && typeof doc.target === 'string') doc.database = doc.target;
  if (doc.ok === false && doc.error === undefined) {
    const refusal = isDoc(doc.refusal) ? doc.refusal : undefined;
    const code = typeof doc.code === 'string' ? doc.code : typeof refusal?.code === 'string' ? refusal.code : undefined;
    if (code !== undefined) {
      const message = typeof doc.message === 'string' ? doc.message : typeof refusal?.message === 'string' ? refusal.message : code;
      doc.error = { code, message, exitCode: typeof doc.exitCode === 'number' ? doc.exitCode : exitCode };
    }
  }
  return doc;
}

/** A failed command's document: `error`, and the same fields at the top level as before (code, message, exitCode). */
export function errorDocument(code: string, message: string, exitCode: number, details: Readonly<Doc> | undefined): Doc {
  return { ok: false, error: { code, message, exitCode, ...(details && { details }) }, code, exitCode, message, ...(details && { details }) };
}

function isDoc(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** lint --format sarif prints a SARIF log, whose shape is the standard's. */
function isSarif(doc: Doc): boolean {
  return typeof doc.$schema === 'string' && Array.isArray(doc.runs);
}
