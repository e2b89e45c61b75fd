import { addSignature } from '../../signing/add-signature.js';
import { readInput, writeOutput } from '../io.js';
import { requireFlag } from '../parse.js';
import { parseRole, signerFromFlags, witnessesFromFlags } from '../signing-key.js';
import { COMMANDS, type CommandRun } from '../table.js';

export const run: CommandRun = async ({ positionals, flags }, { env }) => {
  const path = positionals[0]!;
  const signer = signerFromFlags(flags, requireFlag(flags, 'key', COMMANDS.sign!.usage), env);
  const role = parseRole(flags.role, 'approve');
  const result = await addSignature(readInput(path, 'bundle'), signer, role, await witnessesFromFlags(flags));
  const out = typeof flags.out === 'string' ? flags.out : path;
  writeOutput(out, result.bundle);
  return {
    text: `signed ${result.manifest.project} release ${result.manifest.release} as ${role} with ${'identity' in signer ? `certificate for ${signer.identity}` : `key ${signer.keyId.slice(0, 16)}…`}\n  release id  sha256:${result.digest} (unchanged)\n  written to  ${out}`,
    json: { ok: true, out, digest: result.digest, role, keyId: signer.keyId },
  };
};
