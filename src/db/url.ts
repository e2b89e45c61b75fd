/**
 * Database URLs: `sqlite:PATH` and `postgres://user@host:port/db`. A URL that carries a
 * password is refused: process lists, shell history and CI logs show command lines.
 */
import { resolve } from 'node:path';
import { MigsealError } from '../errors.js';
import { credentialInUrl } from './url-credentials.js';

export type DatabaseUrl =
  | { dialect: 'sqlite'; path: string; display: string }
  /** `schema`: a PostgreSQL schema per tenant (`?schema=NAME`): the session's search path, and where migseal keeps that tenant's history. */
  | { dialect: 'postgres'; connectionString: string; display: string; schema?: string };

export const PASSWORD_SOURCES = 'PGPASSWORD, MIGSEAL_DATABASE_PASSWORD or MIGSEAL_DATABASE_PASSWORD_FILE';

export function parseDatabaseUrl(url: string, cwd: string): DatabaseUrl {
  if (url.startsWith('sqlite:')) {
    const rest = url.startsWith('sqlite://') ? url.slice('sqlite://'.length) : url.slice('sqlite:'.length);
    if (rest === '') throw new MigsealError('USAGE', 'A sqlite database URL needs a path, like sqlite:var/shop.db.');
    const path = rest === ':memory:' ? rest : resolve(cwd, rest);
    return { dialect: 'sqlite', path, display: `sqlite:${path}` };
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const where = credentialInUrl(url);
    if (where) {
      throw new MigsealError(
        'CREDENTIALS_ON_COMMAND_LINE',
        `The database URL contains a password; remove it and provide the password through ${PASSWORD_SOURCES}. It is ${where}.`,
      );
    }
    const { connectionString, schema } = takeSchema(url);
    return { dialect: 'postgres', connectionString, display: url, ...(schema !== undefined && { schema }) };
  }
  throw new MigsealError('USAGE', 'The database URL must start with sqlite: or postgres:// (for example sqlite:var/shop.db).');
}

/**
 * `?schema=NAME` (as Prisma spells it): one tenant's schema on a shared database. It is taken
 * out of the URL the client reads; the driver sets the session's search path to it and keeps
 * the tenant's history, and takes its lock, in it. A schema migseal or the server reserves is refused.
 */
function takeSchema(url: string): { connectionString: string; schema?: string } {
  const queryAt = url.indexOf('?');
  if (queryAt < 0) return { connectionString: url };
  const hashAt = url.indexOf('#', queryAt);
  const query = url.slice(queryAt + 1, hashAt < 0 ? undefined : hashAt);
  const parts = query.split('&');
  const named = parts.filter((p) => p === 'schema' || p.startsWith('schema='));
  if (named.length === 0) return { connectionString: url };
  if (named.length > 1) throw new MigsealError('USAGE', 'The database URL names ?schema= more than once.');
  let schema: string;
  try {
    schema = decodeURIComponent(named[0]!.slice('schema='.length).replace(/\+/g, ' '));
  } catch {
    throw new MigsealError('USAGE', 'The database URL\'s ?schema= is not valid percent-encoding.');
  }
  if (schema === '' || Buffer.byteLength(schema) > 63 || /[\u0000-\u001f\u007f]/.test(schema)) {
    throw new MigsealError('USAGE', 'The database URL\'s ?schema= must name a schema of 1 to 63 bytes without control characters.');
  }
  if (/^(pg_|migseal)/i.test(schema) || schema.toLowerCase() === 'information_schema') {
    throw new MigsealError('USAGE', `The database URL's ?schema= names "${schema}", a schema PostgreSQL or migseal reserves; name the tenant's own schema.`);
  }
  const rest = parts.filter((p) => !named.includes(p)).join('&');
  return { connectionString: url.slice(0, queryAt) + (rest ? `?${rest}` : '') + (hashAt < 0 ? '' : url.slice(hashAt)), schema };
}
