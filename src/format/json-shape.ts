/** Shape checks shared by every validator of untrusted JSON (manifest, trust policy). */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reports, into `problems`, every field of `obj` that is not one of `keys`: unknown fields are refused, never ignored. */
export function allowOnly(obj: JsonObject, at: string, keys: readonly string[], problems: string[]): void {
  for (const k of Object.keys(obj)) if (!keys.includes(k)) problems.push(`${at}.${k} is not a known field`);
}
