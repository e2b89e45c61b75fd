/**
 * SQLite says "attempt to write a readonly database" or "unable to open database file"
 * without saying which file. A write touches three: the database, its rollback journal
 * beside it (created in the database's folder) and migseal's lock file. This names the one
 * this process cannot write, and why.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

const FILE_CODES = /^SQLITE_(READONLY|CANTOPEN|PERM|AUTH)/;

export function isFileError(error: unknown): boolean {
  return FILE_CODES.test(String((error as { code?: unknown })?.code ?? '')) || /readonly database|unable to open database/i.test(String((error as Error)?.message));
}

/** The first of the files a write needs that this process cannot create or write, with the reason. */
export function unwritableFile(files: readonly string[]): string | undefined {
  for (const file of files) {
    const reason = whyUnwritable(file);
    if (reason) return `${file}: ${reason}`;
  }
  return undefined;
}

function whyUnwritable(file: string): string | undefined {
  const folder = dirname(file);
  if (!existsSync(folder)) return `its folder ${folder} does not exist`;
  if (existsSync(file)) {
    if (statSync(file).isDirectory()) return 'it is a folder';
    if (!writable(file)) return `the file is read-only for ${user()}`;
    return undefined;
  }
  if (!writable(folder)) return `it cannot be created: the folder ${folder} is read-only for ${user()}`;
  return undefined;
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function user(): string {
  const uid = process.getuid?.();
  return uid === undefined ? 'this user' : `uid ${uid}`;
}

/** A message that says which file could not be opened or written, keeping SQLite's own words. */
export function describeFileError(error: unknown, files: readonly string[]): string {
  const culprit = unwritableFile(files);
  // better-sqlite3 sometimes ends its words with the path; the culprit names it again.
  const said = String((error as Error)?.message ?? error).replace(/\.$/, '').replace(/:\s*\/\S*$/, '');
  return culprit ? `${said}: ${culprit}` : `${said} (${files.join(', ')})`;
}
