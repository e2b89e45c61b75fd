import { MigsealError } from '../errors.js';
import { loadPrivateKey } from '../signing/keys.js';
import { KeySigner } from '../signing/key-signer.js';
import { CertificateSigner } from '../signing/certificate-signer.js';
import type { Signer, Witness } from '@sigstore/sign';
import { ROLES, type Role } from '../format/statement.js';
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

export interface FlagSigning {
  signer: Signer;
  witnesses: Witness[];
  /** Who signs, for people: "key 1a2b…", "certificate for …", "keyless as … (issuer …)". */
  description: string;
  keyId?: string;
}

/** --keyless, or --key (with --cert), plus --timestamp-url; undefined when none was given. */
export async function signingFromFlags(flags: Record<string, unknown>, env: Record<string, string | undefined>, progress?: (line: string) => void): Promise<FlagSigning | undefined> {
  const stamps = await witnessesFromFlags(flags);
  if (flags.keyless === true) {
    if (flags.key !== undefined || flags.cert !== undefined) throw new MigsealError('USAGE', '--keyless signs with a short-lived Fulcio certificate; do not give --key or --cert with it.');
    const { keylessSigning } = await import('../signing/keyless/keyless-signer.js');
    const setup = await keylessSigning({ env });
    progress?.(`signing keyless as ${setup.claims.subject} (issuer ${setup.claims.issuer}) via ${setup.fulcioURL} and ${setup.rekorURL}`);
    return { signer: setup.signer, witnesses: [...setup.witnesses, ...stamps], description: `keyless certificate for ${setup.claims.subject} (issuer ${setup.claims.issuer})` };
  }
  if (typeof flags.key !== 'string') return undefined;
  const signer = signerFromFlags(flags, flags.key, env);
  const description = 'identity' in signer ? `certificate for ${signer.identity}` : `key ${signer.keyId.slice(0, 16)}…`;
  return { signer, witnesses: stamps, description, keyId: signer.keyId };
}
