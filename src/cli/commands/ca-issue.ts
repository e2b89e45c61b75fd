import { dirname, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { issueLeaf } from '../../ca/certificates.js';
import { readInput, readSecret, writeOutput } from '../io.js';
import { requireFlag } from '../parse.js';
import { COMMANDS, type CommandRun } from '../table.js';
import { parseDays } from './ca-init.js';

export const run: CommandRun = async ({ flags }, { env }) => {
  const usage = COMMANDS['ca issue']!.usage;
  const caDir = requireFlag(flags, 'ca', usage);
  const identity = requireFlag(flags, 'identity', usage);
  const issuer = requireFlag(flags, 'issuer', usage);
  const out = requireFlag(flags, 'out', usage);
  const days = parseDays(flags.days, 90);
  const ca = {
    certificatePem: readInput(join(caDir, 'ca.crt'), 'CA certificate').toString('utf8'),
    privateKeyPem: readInput(join(caDir, 'ca.key'), 'CA private key').toString('utf8'),
  };
  const passphrase = readSecret(env, 'MIGSEAL_CA_PASSPHRASE');
  const leaf = issueLeaf({ ...ca, ...(passphrase && { passphrase }) }, { identity, issuer, days });
  mkdirSync(dirname(out), { recursive: true });
  const force = flags.force === true;
  writeOutput(`${out}.key`, leaf.privateKeyPem, 0o600, force);
  writeOutput(`${out}.crt`, leaf.certificatePem, 0o644, force);
  return {
    text: `wrote ${out}.crt and ${out}.key (private, mode 0600)\n  identity  ${identity}\n  issuer    ${issuer}\n  valid     ${days} days\nsign with: migseal sign BUNDLE --key ${out}.key --cert ${out}.crt`,
    json: { ok: true, certificate: `${out}.crt`, privateKey: `${out}.key`, identity, issuer, days },
  };
};
