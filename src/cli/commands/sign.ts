import { addSignature } from '../../signing/add-signature.js';
import { readInput, writeOutput } from '../io.js';
import { MigsealError } from '../../errors.js';
import { parseRole, signingFromFlags } from '../signing-key.js';
import { COMMANDS, type CommandRun } from '../table.js';

export const run: CommandRun = async ({ positionals, flags }, { env, progress }) => {
  const path = positionals[0]!;
  const signing = await signingFromFlags(flags, env, progress);
  if (!signing) throw new MigsealError('USAGE', `Give --key FILE or --keyless. Usage: ${COMMANDS.sign!.usage}`);
  const role = parseRole(flags.role, 'approve');
  const result = await addSignature(readInput(path, 'bundle'), signing.signer, role, signing.witnesses);
  const out = typeof flags.out === 'string' ? flags.out : path;
  writeOutput(out, result.bundle);
  return {
    text: `signed ${result.manifest.project} release ${result.manifest.release} as ${role} with ${signing.description}\n  release id  sha256:${result.digest} (unchanged)\n  wrote       ${out}${out === path ? ' (in place)' : ''}`,
    json: { ok: true, out, digest: result.digest, role, signer: signing.description, ...(signing.keyId && { keyId: signing.keyId }) },
  };
};
