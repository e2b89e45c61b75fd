/**
 * Database URLs: `sqlite:PATH` and `postgres://user@host:port/db`. A URL that carries a
 * password is refused: process lists, shell history and CI logs show command lines.
 */
import { resolve } from 'node:path';
import { MigsealError } from '../errors.js';
import { credentialInUrl } from './url-credentials.js';

export type DatabaseUrl = { dialect: 'sqlite'; path: string; display: string } | { dialect: 'postgres'; connectionString: string; display: string };

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
    return { dialect: 'postgres', connectionString: url, display: url };
  }
  throw new MigsealError('USAGE', 'The database URL must start with sqlite: or postgres:// (for example sqlite:var/shop.db).');
}
