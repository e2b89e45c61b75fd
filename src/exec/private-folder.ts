/**
 * A private, read-only copy of a verified bundle's files for a native tool: a fresh folder
 * from mkdtemp (owner only), files written from the verified bytes in memory with mode 0400,
 * then every directory made 0500 so nothing can be added, renamed or removed. `remove()`
 * restores write permission on the directories just long enough to delete the tree; it also
 * runs if the process exits before the caller gets to it.
 *
 * Threat T5.16: another local user must not be able to swap the folder for one of their own.
 * The parent (TMPDIR) and every folder above it must be owned by root or the running user and
 * not writable by others unless sticky (as /tmp is), the same rule as for trust files; what
 * mkdtemp made is checked to be a directory owned by the user with mode 0700, and to be the
 * same directory once the files are in it.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { MigsealError } from '../errors.js';
import { permissionProblems } from '../trust/file-permissions.js';

export const FILE_MODE = 0o400;
export const DIR_MODE = 0o500;

export interface PrivateFolder {
  readonly path: string;
  remove(): void;
}

export function writePrivateFolder(files: ReadonlyMap<string, Buffer>, parent: string = tmpdir()): PrivateFolder {
  const unsafe = permissionProblems(parent)[0];
  if (unsafe) {
    throw new MigsealError(
      'IO',
      `The temporary folder ${parent} is not safe for the verified files: ${unsafe}. Another local user could swap the private folder; set TMPDIR to a folder only you or root can write.`,
    );
  }
  let root: string;
  try {
    root = mkdtempSync(join(parent, 'migseal-exec-'));
  } catch (error) {
    throw new MigsealError('IO', `Cannot create a private folder in ${parent}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, { cause: error });
  }
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    process.removeListener('exit', remove);
    makeWritable(root);
    rmSync(root, { recursive: true, force: true });
  };
  process.on('exit', remove);
  try {
    const created = lstatSync(root);
    expectPrivate(root, created);
    chmodSync(root, 0o700);
    const dirs = new Set<string>([root]);
    for (const [path, data] of files) {
      const target = resolve(root, path);
      if (!target.startsWith(root + sep) || relative(root, target).split(sep).includes('..')) {
        throw new MigsealError('ARCHIVE_UNSAFE_ENTRY', `The bundle path ${path} would leave the private folder.`);
      }
      const dir = resolve(target, '..');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (let d = dir; d !== root && d.startsWith(root); d = resolve(d, '..')) dirs.add(d);
      writeFileSync(target, data, { mode: FILE_MODE, flag: 'wx' });
      chmodSync(target, FILE_MODE);
    }
    // Deepest first, so each parent is still writable while its children are locked.
    for (const d of [...dirs].sort((a, b) => b.length - a.length)) chmodSync(d, DIR_MODE);
    const done = lstatSync(root);
    if (done.dev !== created.dev || done.ino !== created.ino) throw new MigsealError('IO', `The private folder ${root} was replaced while the verified files were written to it.`);
    expectPrivate(root, done);
  } catch (error) {
    remove();
    if (error instanceof MigsealError) throw error;
    throw new MigsealError('IO', `Cannot write the verified files to a private folder: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, { cause: error });
  }
  return { path: root, remove };
}

/** What mkdtemp made must be a directory (not a link) the running user owns, closed to everyone else. */
function expectPrivate(root: string, stat: Stats): void {
  const uid = process.geteuid?.() ?? stat.uid;
  if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) {
    throw new MigsealError('IO', `The private folder ${root} is not the folder migseal made (a ${stat.isDirectory() ? 'directory' : 'non-directory'} owned by uid ${stat.uid}, mode ${(stat.mode & 0o7777).toString(8)}).`);
  }
}

function makeWritable(dir: string): void {
  try {
    chmodSync(dir, 0o700);
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) makeWritable(join(dir, entry.name));
  } catch {
    /* already gone, or removed by the command: rmSync below reports nothing either way */
  }
}
