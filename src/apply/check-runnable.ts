/** Checks that every pending migration is SQL this runner can execute (not one only its own tool can run). */
import { MigsealError } from '../errors.js';
import type { CheckContext } from './check-context.js';

export function checkRunnable({ plan }: CheckContext): void {
  const native = plan.pending.find((p) => p.migration.runner === 'native');
  if (!native) return;
  throw new MigsealError(
    'NATIVE_RUNNER_REQUIRED',
    `Migration ${native.migration.version} (${native.migration.name}) can only be run by its own tool; hand the verified files to it with migseal exec.`,
  );
}
