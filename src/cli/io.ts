/** File effects for commands: reading inputs with coded errors, writing outputs atomically. */
import { readFileSync, renameSync, writeFileSync, existsSync, unlinkSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { MigsealError } from '../errors.js';

export function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MigsealError('IO', `Cannot read the ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code}.`, { cause: error });
  }
}

/** Writes via a temporary file and a rename, so readers never see a half-written file. */
export function writeOutput(path: string, data: Buffer | string, mode = 0o644, overwrite = true): void {
  if (!overwrite && existsSync(path)) throw new MigsealError('IO', `${path} already exists; pass --force to overwrite it.`);
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, data, { mode, flag: 'wx' });
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      /* nothing to clean */
    }
    throw new MigsealError('IO', `Cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, { cause: error });
  }
}

/** A secret from NAME, or from the file named by NAME_FILE; never from the command line. */
export function readSecret(env: Record<string, string | undefined>, name: string): string | undefined {
  const direct = env[name];
  if (direct !== undefined && direct !== '') return direct;
  const file = env[`${name}_FILE`];
  if (file) return readInput(file, `${name}_FILE`).toString('utf8').replace(/\r?\n$/, '');
  return undefined;
}
