/** File effects for commands: reading inputs with coded errors, writing outputs atomically. */
import { readFileSync, renameSync, writeFileSync, existsSync, unlinkSync, statSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { MigsealError } from '../errors.js';
import { cannotRead as cannotReadInput } from '../read-error.js';

export function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw cannotRead(path, what, error);
  }
}

const READ_CHUNK = 1024 * 1024;

/**
 * An input read in chunks when iterated, for inputs too large to hold twice (a bundle is
 * inflated as it is read). At most the size found on opening is read. Anything but a regular
 * file (a pipe such as /dev/stdin) has no size to go by and is read whole, and so is a file of
 * at most one chunk: held whole, a small bundle is inflated in one call.
 */
export function streamInput(path: string, what: string): { size: number; chunks: () => Iterable<Buffer> | AsyncIterable<Buffer> } {
  let size: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new MigsealError('IO', `Cannot read the ${what} ${path}: EISDIR.`);
    if (!stat.isFile() || stat.size <= READ_CHUNK) {
      const whole = readInput(path, what);
      return { size: whole.length, chunks: () => [whole] };
    }
    size = stat.size;
  } catch (error) {
    if (error instanceof MigsealError) throw error;
    throw cannotRead(path, what, error);
  }
  async function* chunks(): AsyncGenerator<Buffer> {
    let file;
    try {
      // Taken here, not at load: node:fs/promises brings readline and file watchers with it, which
      // every command would load (a few milliseconds of start-up) for the bundles above one chunk.
      const { open } = process.getBuiltinModule('node:fs/promises');
      file = await open(path, 'r');
      for (let at = 0; at < size; ) {
        const { buffer, bytesRead } = await file.read(Buffer.allocUnsafe(Math.min(READ_CHUNK, size - at)), 0, Math.min(READ_CHUNK, size - at), at);
        if (bytesRead === 0) return;
        at += bytesRead;
        yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
      }
    } catch (error) {
      throw cannotRead(path, what, error);
    } finally {
      await file?.close();
    }
  }
  return { size, chunks };
}

function cannotRead(path: string, what: string, error: unknown): MigsealError {
  return cannotReadInput(what, path, error);
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
