import { existsSync } from 'node:fs';
import { MigsealError } from '../../errors.js';
import { generateKeyPair, KEY_TYPES, type KeyType } from '../../signing/keys.js';
import { readSecret, writeOutput } from '../io.js';
import { requireFlag } from '../parse.js';
import { COMMANDS, type CommandRun } from '../table.js';

export const run: CommandRun = async ({ flags }, { env }) => {
  const out = requireFlag(flags, 'out', COMMANDS['keys generate']!.usage);
  const type = (flags.type ?? 'ed25519') as KeyType;
  if (!KEY_TYPES.includes(type)) throw new MigsealError('USAGE', `--type must be one of ${KEY_TYPES.join(', ')}.`);
  const passphrase = readSecret(env, 'MIGSEAL_KEY_PASSPHRASE');
  const pair = generateKeyPair(type, passphrase);
  const force = flags.force === true;
  // Check both names before writing either, so a refusal never leaves a new .key beside an old .pub.
  for (const path of force ? [] : [`${out}.key`, `${out}.pub`]) {
    if (existsSync(path)) throw new MigsealError('IO', `${path} already exists; pass --force to overwrite it.`);
  }
  writeOutput(`${out}.key`, pair.privateKeyPem, 0o600, force);
  writeOutput(`${out}.pub`, pair.publicKeyPem, 0o644, force);
  return {
    text: `wrote ${out}.key (private, mode 0600${passphrase ? ', encrypted' : ''}) and ${out}.pub\nkey id ${pair.keyId}`,
    json: { ok: true, privateKey: `${out}.key`, publicKey: `${out}.pub`, keyId: pair.keyId, type, encrypted: passphrase !== undefined },
  };
};
