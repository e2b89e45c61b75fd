/**
 * A fleet's targets file: the databases one rollout applies a release to, each with a name.
 * Three forms: a strict JSON array `[{"name": "tenant-0042", "db": "postgres://deploy@db-3/tenant_0042"}]`,
 * the same array under `{"targets": [...]}`, or plain text with one target per line (`URL` or
 * `NAME URL`; blank lines and `#` comments skipped). A URL may name a PostgreSQL schema per
 * tenant with `?schema=NAME`. Credentials never come from this file: a URL that carries a
 * password is refused (naming the target and where the password is, never the password), and
 * a target's password comes from `passwordFile` or `passwordEnv`, else from the variables a
 * single apply reads. Relative SQLite paths and password files are read from the file's folder.
 */
import { MigsealError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { parseDatabaseUrl, type DatabaseUrl } from '../db/index.js';
import { credentialInUrl } from '../db/url-credentials.js';
import { parseStrictJson, StrictJsonError, type JsonValue } from '../format/strict-json.js';

export interface Target {
  name: string;
  url: DatabaseUrl;
  /** Where this target's password comes from, when not from the variables every target shares. */
  password?: { file: string } | { env: string };
}

const TARGET_KEYS = new Set(['name', 'db', 'passwordFile', 'passwordEnv']);
/** A name is printed in reports and hashed for --shard: printable, no spaces, at most 200 characters. */
const NAME = /^[^\s\p{Cc}\p{Cf}]{1,200}$/u;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** `base` is the folder the targets file is in; `source` names the file in messages. */
export function parseTargets(text: string, source: string, base: string): Target[] {
  if (Buffer.byteLength(text) > LIMITS.maxTargetsFileBytes) invalid(source, `is larger than ${LIMITS.maxTargetsFileBytes} bytes`);
  const body = text.replace(/^\uFEFF/, '');
  const trimmed = body.trimStart();
  const targets = trimmed.startsWith('[') || trimmed.startsWith('{') ? fromJson(body, source, base) : fromLines(body, source, base);
  if (targets.length === 0) invalid(source, 'names no target');
  if (targets.length > LIMITS.maxTargets) invalid(source, `names ${targets.length} targets, more than the limit of ${LIMITS.maxTargets}`);
  const names = new Set<string>();
  const databases = new Map<string, string>();
  for (const t of targets) {
    if (names.has(t.name)) invalid(source, `names the target "${t.name}" twice`);
    names.add(t.name);
    const other = databases.get(t.url.display);
    if (other !== undefined) invalid(source, `gives the targets "${other}" and "${t.name}" the same database`);
    databases.set(t.url.display, t.name);
  }
  return targets;
}

function fromJson(text: string, source: string, base: string): Target[] {
  let doc: JsonValue;
  try {
    doc = parseStrictJson(text);
  } catch (error) {
    if (error instanceof StrictJsonError) invalid(source, `is not strict JSON (${error.message})`);
    throw error;
  }
  let list: JsonValue = doc;
  if (isObject(doc)) {
    const extra = Object.keys(doc).filter((k) => k !== 'targets');
    if (extra.length > 0) invalid(source, `has the unknown field "${extra[0]}" (a targets object holds only "targets")`);
    list = doc.targets ?? null;
  }
  if (!Array.isArray(list)) invalid(source, 'must hold an array of targets, or {"targets": [...]}');
  return list.map((entry, i) => {
    const at = `$${isObject(doc) ? '.targets' : ''}[${i}]`;
    if (!isObject(entry)) invalid(source, `has ${at} that is not an object with "name" and "db"`);
    const unknown = Object.keys(entry).find((k) => !TARGET_KEYS.has(k));
    if (unknown !== undefined) invalid(source, `has ${at} with the unknown field "${unknown}" (a target has name, db, passwordFile, passwordEnv)`);
    const { name, db, passwordFile, passwordEnv } = entry;
    if (typeof name !== 'string' || !NAME.test(name)) invalid(source, `has ${at}.name that is not a name of 1 to 200 printable characters without spaces`);
    if (typeof db !== 'string' || db === '') invalid(source, `has ${at} ("${name}") without "db", a database URL`);
    if (passwordFile !== undefined && passwordEnv !== undefined) invalid(source, `gives target "${name}" both passwordFile and passwordEnv; keep one`);
    if (passwordFile !== undefined && (typeof passwordFile !== 'string' || passwordFile === '')) invalid(source, `gives target "${name}" a passwordFile that is not a path`);
    if (passwordEnv !== undefined && (typeof passwordEnv !== 'string' || !ENV_NAME.test(passwordEnv))) invalid(source, `gives target "${name}" a passwordEnv that is not the name of an environment variable`);
    const url = targetUrl(db, name, source, base);
    if ((passwordFile !== undefined || passwordEnv !== undefined) && url.dialect !== 'postgres') invalid(source, `gives target "${name}" a SQLite file, which takes no password`);
    return {
      name,
      url,
      ...(typeof passwordFile === 'string' && { password: { file: passwordFile.startsWith('/') ? passwordFile : `${base}/${passwordFile}` } }),
      ...(typeof passwordEnv === 'string' && { password: { env: passwordEnv } }),
    };
  });
}

function fromLines(text: string, source: string, base: string): Target[] {
  const targets: Target[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = line.split(/\s+/);
    if (words.length > 2) invalid(source, `has more than a name and a URL on line ${i + 1}`);
    const [name, db] = words.length === 2 ? [words[0]!, words[1]!] : [words[0]!, words[0]!];
    // A URL with a password must not be echoed as its name: judge the URL first.
    const url = targetUrl(db, `on line ${i + 1}`, source, base, true);
    if (!NAME.test(name)) invalid(source, `has a name on line ${i + 1} that is not 1 to 200 printable characters without spaces`);
    targets.push({ name: words.length === 2 ? name : url.display, url });
  }
  return targets;
}

function targetUrl(db: string, name: string, source: string, base: string, anonymous = false): DatabaseUrl {
  const who = anonymous ? `the target ${name}` : `target "${name}"`;
  if (/^postgres(ql)?:\/\//i.test(db)) {
    const where = credentialInUrl(db);
    if (where) {
      throw new MigsealError(
        'TARGETS_INVALID',
        `The targets file ${source} carries a password in the URL of ${who} (${where}); remove it, and give each target's password with "passwordFile" or "passwordEnv", or every target's with PGPASSWORD, MIGSEAL_DATABASE_PASSWORD or MIGSEAL_DATABASE_PASSWORD_FILE.`,
      );
    }
  }
  if (db.startsWith('sqlite:') && /^sqlite::memory:$/.test(db)) invalid(source, `gives ${who} an in-memory database, which a rollout cannot keep`);
  try {
    return parseDatabaseUrl(db, base);
  } catch (error) {
    if (error instanceof MigsealError) invalid(source, `gives ${who} a URL migseal cannot use: ${error.message.replace(/\.$/, '')}`);
    throw error;
  }
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(source: string, what: string): never {
  throw new MigsealError('TARGETS_INVALID', `The targets file ${source} ${what}.`);
}
