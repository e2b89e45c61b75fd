import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createCa } from '../../ca/certificates.js';
import { MigsealError } from '../../errors.js';
import { readSecret, writeOutput } from '../io.js';
import { requireFlag } from '../parse.js';
import { COMMANDS, type CommandRun } from '../table.js';

export const run: CommandRun = async ({ flags }, { env }) => {
  const out = requireFlag(flags, 'out', COMMANDS['ca init']!.usage);
  const days = parseDays(flags.days, 3650);
  const name = typeof flags.name === 'string' ? flags.name : 'migseal signing CA';
  const force = flags.force === true;
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const passphrase = readSecret(env, 'MIGSEAL_CA_PASSPHRASE');
  const ca = createCa({ name, days, ...(passphrase && { passphrase }) });
  writeOutput(join(out, 'ca.key'), ca.privateKeyPem, 0o600, force);
  writeOutput(join(out, 'ca.crt'), ca.certificatePem, 0o644, force);
  return {
    text: `wrote ${join(out, 'ca.crt')} and ${join(out, 'ca.key')} (private, mode 0600${passphrase ? ', encrypted' : ''}; keep it offline)\nname the certificate in the trust policy: "cas": [{ "id": "corp", "certificate": "…/ca.crt" }]`,
    json: { ok: true, certificate: join(out, 'ca.crt'), privateKey: join(out, 'ca.key'), name, days, encrypted: passphrase !== undefined },
  };
};

export function parseDays(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const days = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || days < 1 || days > 3650) throw new MigsealError('USAGE', `--days must be a whole number from 1 to 3650, not "${String(value)}".`);
  return days;
}
