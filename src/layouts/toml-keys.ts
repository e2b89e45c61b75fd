/**
 * A strict reader for the tiny TOML files peer tools keep beside migrations
 * (Prisma's migration_lock.toml, Diesel's metadata.toml): top-level `key = value`
 * lines with a string or boolean value, and comments. Anything else (tables, arrays,
 * dotted keys, multi-line strings, numbers, keys the caller does not know) is refused
 * rather than guessed at, because a misread marker would change how a migration runs.
 */
export type TomlValue = string | boolean;

export class TomlKeysError extends Error {}

export function readTomlKeys(text: string, allowed: readonly string[], options: { ignoreUnknown?: boolean } = {}): Map<string, TomlValue> {
  const values = new Map<string, TomlValue>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const at = `line ${index + 1}`;
    const m = /^([A-Za-z0-9_-]+)[ \t]*=[ \t]*(.*)$/.exec(line);
    if (!m) throw new TomlKeysError(`${at}: only top-level "key = value" lines are understood`);
    const [, key, rest] = m as unknown as [string, string, string];
    if (!allowed.includes(key) && options.ignoreUnknown) return;
    if (!allowed.includes(key)) throw new TomlKeysError(`${at}: unknown key "${key}" (understood: ${allowed.join(', ')})`);
    if (values.has(key)) throw new TomlKeysError(`${at}: "${key}" is set twice`);
    values.set(key, parseValue(rest, at));
  });
  return values;
}

function parseValue(rest: string, at: string): TomlValue {
  const bool = /^(true|false)[ \t]*(#.*)?$/.exec(rest);
  if (bool) return bool[1] === 'true';
  const literal = /^'([^'\n]*)'[ \t]*(#.*)?$/.exec(rest);
  if (literal) return literal[1]!;
  const basic = /^"((?:[^"\\\n]|\\["\\nt])*)"[ \t]*(#.*)?$/.exec(rest);
  if (basic) return basic[1]!.replace(/\\(["\\nt])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
  throw new TomlKeysError(`${at}: the value must be true, false or a one-line string`);
}
