/**
 * An environment's requirement on the build provenance (`environments.X.provenance`): that
 * a verified provenance is present, and that it names exactly this builder and this source
 * repository. A pattern is an explicit opt-in (`builderIdPattern`, `sourceRepositoryPattern`)
 * and always anchored, like `identityPattern`. `builderIsSigner` asks more: the builder must be
 * the certificate identity that signed the provenance, so a stolen key cannot name a builder.
 */
import { isJsonObject, allowOnly } from '../format/json-shape.js';
import { compileIdentityPattern } from './identities.js';

export interface ProvenanceRequirement {
  builderId?: string;
  builderIdPattern?: RegExp;
  sourceRepository?: string;
  sourceRepositoryPattern?: RegExp;
  /** The provenance is signed by a certificate whose identity is its builder id (keyless or CA), not by a key. */
  builderIsSigner?: boolean;
}

const FIELDS = [
  ['builderId', 'builderIdPattern'],
  ['sourceRepository', 'sourceRepositoryPattern'],
] as const;

/** Reads the requirement at `at`; pushes every problem into `p`. Absent: no requirement. */
export function parseProvenanceRequirement(value: unknown, at: string, p: string[]): ProvenanceRequirement | undefined {
  if (value === undefined) return undefined;
  if (!isJsonObject(value)) return void p.push(`${at} must be an object`);
  allowOnly(value, at, [...FIELDS.flat(), 'builderIsSigner', 'description'], p);
  const out: ProvenanceRequirement = {};
  for (const [exact, pattern] of FIELDS) {
    if (value[exact] !== undefined && value[pattern] !== undefined) p.push(`${at} may have ${exact} (exact) or ${pattern} (anchored regular expression), not both`);
    if (value[exact] !== undefined) {
      if (typeof value[exact] !== 'string' || value[exact] === '') p.push(`${at}.${exact} must be a string`);
      else out[exact] = value[exact];
    }
    if (value[pattern] !== undefined) {
      if (typeof value[pattern] !== 'string' || value[pattern] === '') p.push(`${at}.${pattern} must be a regular expression`);
      else
        try {
          out[pattern] = compileIdentityPattern(value[pattern]);
        } catch {
          p.push(`${at}.${pattern} is not a valid regular expression`);
        }
    }
  }
  if (value.builderIsSigner !== undefined && typeof value.builderIsSigner !== 'boolean') p.push(`${at}.builderIsSigner must be true or false`);
  else if (value.builderIsSigner === true) out.builderIsSigner = true;
  if (value.description !== undefined && typeof value.description !== 'string') p.push(`${at}.description must be a string`);
  return out;
}

/** True when `actual` is the exact value required, or matches the anchored pattern; no requirement matches anything. */
export function meetsRequirement(actual: string | undefined, exact: string | undefined, pattern: RegExp | undefined): boolean {
  if (exact !== undefined) return actual === exact;
  if (pattern !== undefined) return actual !== undefined && pattern.test(actual);
  return true;
}
