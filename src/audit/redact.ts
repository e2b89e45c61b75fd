/**
 * Keeps credentials out of audit records: a record is copied into plain JSON values with
 * - any field whose name suggests a secret (password, passphrase, secret, token, …) replaced by "[redacted]";
 * - the password part of a URL's userinfo (`scheme://user:pw@host`) and `password=…` pairs replaced by "***";
 * - the values of secret-looking environment variables (PGPASSWORD, *PASSWORD*, *SECRET*, *TOKEN*,
 *   *PASSPHRASE*; not *_FILE paths, nor values under 6 characters or like "true") replaced by "***"
 *   wherever they appear in a string.
 * Numbers that canonical JSON cannot hold (fractions, huge values) become strings; dates become ISO strings.
 */
const SECRET_KEY = /pass(wd)?$|password|passphrase|secret|token|credential|api[-_]?key|private[-_]?key/i;
const SECRET_ENV = /PASS|SECRET|TOKEN|CREDENTIAL/i;
/** Values too short or too plain to scrub everywhere without mangling ordinary text. */
const MIN_SECRET_LENGTH = 6;
const PLAIN_VALUE = /^(true|false|yes|no|on|off|\d+)$/i;

export function secretValuesFromEnv(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_ENV.test(name) && !name.endsWith('_FILE') && typeof value === 'string' && value.length >= MIN_SECRET_LENGTH && !PLAIN_VALUE.test(value))
    .map(([, value]) => value!)
    .sort((a, b) => b.length - a.length);
}

/**
 * Removes credentials from text: the password of a URL's userinfo, `password=` values (up to
 * the next white space, so a value holding `;` or `&` is not cut short), and any of `secrets`.
 * Everything migseal shows or records passes through here.
 */
export function redactString(text: string, secrets: readonly string[] = []): string {
  let out = text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@')
    .replace(/(password\s*=\s*)('[^']*'|"[^"]*"|\S+)/gi, '$1***');
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

export function redactRecord(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (depth > 32) return '[too deep]';
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'string') return redactString(value, secrets);
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Error) return redactString(value.message, secrets);
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : redactRecord(v, secrets, depth + 1)));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined || typeof v === 'function' || key === '__proto__') continue;
      out[key] = SECRET_KEY.test(key) && v !== null && v !== false ? '[redacted]' : redactRecord(v, secrets, depth + 1);
    }
    return out;
  }
  return undefined;
}
