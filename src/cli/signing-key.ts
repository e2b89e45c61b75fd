import { MigsealError } from '../errors.js';
import { loadPrivateKey } from '../signing/keys.js';
import { KeySigner } from '../signing/key-signer.js';
import { CertificateSigner } from '../signing/certificate-signer.js';
import type { Witness } from '@sigstore/sign';
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

/** A signer for --key, presenting the --cert certificate when one is given. */
export function signerFromFlags(flags: Record<string, unknown>, keyPath: string, env: Record<string, string | undefined>): KeySigner | CertificateSigner {
  if (typeof flags.cert !== 'string') return keySignerFromFile(keyPath, env);
  const pem = readInput(keyPath, 'private key').toString('utf8');
  const privateKey = loadPrivateKey(pem, keyPath, readSecret(env, 'MIGSEAL_KEY_PASSPHRASE'));
  return new CertificateSigner(privateKey, readInput(flags.cert, 'certificate').toString('utf8'), flags.cert);
}

/** The --timestamp-url witness, when asked for. */
export async function witnessesFromFlags(flags: Record<string, unknown>): Promise<Witness[]> {
  if (typeof flags['timestamp-url'] !== 'string') return [];
  const { timestampWitness } = await import('../signing/timestamp-witness.js');
  return [await timestampWitness(flags['timestamp-url'])];
}
