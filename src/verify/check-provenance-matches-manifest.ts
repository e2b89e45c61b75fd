/**
 * Checks that the verified provenance says what the signed manifest says: the same project,
 * release, layout, dialect and expiry, source repository, commit and dirty tree, and builder. Both are
 * the release signer's word; when they disagree neither can be believed.
 */
import { MigsealError } from '../errors.js';
import type { Manifest } from '../format/manifest.js';
import type { VerifiedProvenance } from './check-provenance.js';

export function checkProvenanceMatchesManifest(provenance: VerifiedProvenance | undefined, manifest: Manifest): void {
  if (!provenance) return;
  const ext = provenance.statement.predicate.buildDefinition.externalParameters;
  const pairs: Array<[string, string | undefined, string | undefined]> = [
    ['builder', provenance.builderId, manifest.builder.id],
    ['source repository', provenance.sourceRepository, manifest.source.repository],
    ['source commit', provenance.sourceCommit, manifest.source.commit],
    ['a dirty working tree', provenance.sourceDirty === true ? 'yes' : 'no', manifest.source.dirty === true ? 'yes' : 'no'],
    ['project', ext.project, manifest.project],
    ['release', ext.release, manifest.release],
    ['layout', ext.layout, manifest.layout],
    ['dialect', ext.dialect, manifest.dialect],
    ['expiry', ext.expiresAt, manifest.expiresAt],
  ];
  for (const [what, claimed, signed] of pairs) {
    if (claimed === signed) continue;
    throw new MigsealError(
      'PROVENANCE_INVALID',
      `The provenance ${provenance.entry} by "${provenance.signer}" names ${what} ${shown(claimed)}, but the signed manifest says ${shown(signed)}.`,
      { details: { field: what, provenance: claimed, manifest: signed } },
    );
  }
}

const shown = (v: string | undefined) => (v === undefined ? '(none)' : `"${v}"`);
