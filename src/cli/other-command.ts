/**
 * In the one-file build of a command (scripts/build.mjs), every other command of the table is
 * this: bin/migseal.js runs each command from its own file, so it is never reached.
 */
import { MigsealError } from '../errors.js';
import type { CommandRun } from './table.js';

export const run: CommandRun = async () => {
  throw new MigsealError('INTERNAL', "This command was sent to another command's file; run migseal again.");
};
