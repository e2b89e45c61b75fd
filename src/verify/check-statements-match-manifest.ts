/** Checks that what each signer attested (project and release) is what the manifest says. */
import { MigsealError } from '../errors.js';
import type { Manifest } from '../format/manifest.js';
import type { AcceptedSignature } from './check-signatures.js';

export function checkStatementsMatchManifest(signatures: readonly AcceptedSignature[], manifest: Manifest): void {
  for (const s of signatures) {
    const { project, release } = s.statement.predicate;
    if (project !== manifest.project || release !== manifest.release) {
      throw new MigsealError(
        'SIGNATURE_SUBJECT_MISMATCH',
        `The signature ${s.entry} by "${s.signer}" attests ${project} release ${release}, but the manifest is ${manifest.project} release ${manifest.release}.`,
      );
    }
  }
}
