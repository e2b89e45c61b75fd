/** Checks that the bundle is for this database: its dialect, and the project already applied here. */
import { MigsealError } from '../errors.js';
import type { CheckContext } from './check-context.js';

export function checkTarget({ manifest, dialect, history, target }: CheckContext): void {
  if (manifest.dialect !== 'any' && manifest.dialect !== dialect) {
    throw new MigsealError('WRONG_DIALECT', `The bundle is for ${manifest.dialect}, but ${target} is ${dialect}.`);
  }
  const marker = history.marker;
  if (marker && marker.project !== manifest.project) {
    throw new MigsealError('WRONG_PROJECT', `The bundle is for project "${manifest.project}", but ${target} holds project "${marker.project}".`);
  }
  if (marker && marker.dialect !== dialect) {
    throw new MigsealError('WRONG_DIALECT', `${target} was migrated as ${marker.dialect}, but is now reached as ${dialect}.`);
  }
}
