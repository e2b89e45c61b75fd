/**
 * One wording for an input that cannot be read, wherever it is read:
 * "Cannot read the trust policy keys/trust.json: no such file."
 */
import { MigsealError } from './errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of its path is not a folder',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
};

/** Why a file operation failed, in words (errno codes as people read them). */
export function readFailureReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  return (code && REASONS[code]) ?? code ?? String((error as Error)?.message ?? error).replace(/\.$/, '');
}

/** The coded error for `what` at `path` that could not be read. */
export function cannotRead(what: string, path: string, error: unknown, reason = readFailureReason(error)): MigsealError {
  return new MigsealError('IO', `Cannot read the ${what} ${path}: ${reason}.`, { cause: error });
}
