import { MigsealError } from '../errors.js';
import { loadPrivateKey } from '../signing/keys.js';
import { KeySigner } from '../signing/key-signer.js';
import { ROLES, type Role } from '../signing/statement.js';
import { readInput, readSecret } from './io.js';

export function keySignerFromFile(path: string, env: Record<string, string | undefined>): KeySigner {
  const pem = readInput(path, 'private key').toString('utf8');
  return new KeySigner(loadPrivateKey(pem, path, readSecret(env, 'MIGSEAL_KEY_PASSPHRASE')));
}

export function parseRole(value: unknown, fallback: Role): Role {
  if (value === undefined) return fallback;
  if (!ROLES.includes(value as Role)) throw new MigsealError('USAGE', `--role must be one of ${ROLES.join(', ')}, not "${String(value)}".`);
  return value as Role;
}
