/** The verified bytes of a script as the text sent to the database: UTF-8, a leading byte-order mark dropped, nothing repaired. */
import { MigsealError } from '../errors.js';
import type { ManifestMigration } from '../format/manifest.js';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export function scriptText(script: Buffer, migration: ManifestMigration): string {
  try {
    return decoder.decode(script);
  } catch {
    throw new MigsealError('MANIFEST_INVALID', `The script of migration ${migration.version} (${migration.name}) is not valid UTF-8.`);
  }
}
