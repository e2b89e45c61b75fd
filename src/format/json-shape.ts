/** Shape checks shared by every validator of untrusted JSON (manifest, trust policy). */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reports, into `problems`, every field of `obj` that is not one of `keys`: unknown fields are refused, never ignored. */
export function allowOnly(obj: JsonObject, at: string, keys: readonly string[], problems: string[]): void {
  for (const k of Object.keys(obj)) if (!keys.includes(k)) problems.push(`${at}.${k} is not a known field`);
}

/**
 * Visits each entry of the array field `value` found at `at`, as an object at `${at}[i]`. An
 * absent field is reported only when `required`; anything but an array, and any entry that
 * is not an object, is reported and skipped.
 */
export function forEachObject(value: unknown, at: string, problems: string[], required: boolean, visit: (entry: JsonObject, at: string) => void): void {
  if (value === undefined && !required) return;
  if (!Array.isArray(value)) return void problems.push(`${at} must be an array`);
  value.forEach((entry, i) => {
    if (!isJsonObject(entry)) return void problems.push(`${at}[${i}] must be an object`);
    visit(entry, `${at}[${i}]`);
  });
}

/** Reports `obj[key]` when present and not a boolean. */
export function optionalBoolean(obj: JsonObject, key: string, at: string, problems: string[]): void {
  if (obj[key] !== undefined && typeof obj[key] !== 'boolean') problems.push(`${at}.${key} must be a boolean`);
}
