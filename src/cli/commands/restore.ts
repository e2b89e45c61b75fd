import { resolve } from 'node:path';
import { checkPostgresEmpty, compareRestored, readBackup, restorePostgresDump, restoreSqliteFile, type RestoreReport } from '../../backup/restore.js';
import { MigsealError } from '../../errors.js';
import { objectLabel } from '../../fingerprint/index.js';
import { databasePassword, databaseUrl, withDatabase } from '../database.js';
import type { CommandRun } from '../table.js';
import { waitLimitFlags } from '../wait-limits.js';

/** Exit 0: the restored schema is the one recorded with the backup; 2: it is not, object by object. */
export const run: CommandRun = async ({ positionals, flags }, { env, cwd, progress }) => {
  const file = resolve(cwd, positionals[0]!);
  const url = databaseUrl(flags, env, cwd);
  const waits = waitLimitFlags(flags);
  const sidecar = await readBackup(file);
  if (sidecar.dialect !== url.dialect) throw new MigsealError('WRONG_DIALECT', `${file} is a ${sidecar.dialect} backup and ${url.display} a ${url.dialect} database; nothing was restored.`);
  progress(`restoring ${file} into ${url.display}`);
  let report: RestoreReport;
  if (url.dialect === 'sqlite') {
    restoreSqliteFile(file, url);
    report = await withDatabase(url, env, true, (driver) => compareRestored(driver, file, sidecar), undefined, waits);
  } else {
    await withDatabase(url, env, true, (driver) => checkPostgresEmpty(driver), undefined, waits);
    const password = databasePassword(url, env);
    await restorePostgresDump(file, { connectionString: url.connectionString, ...(password !== undefined && { password }) }, env);
    report = await withDatabase(url, env, true, (driver) => compareRestored(driver, file, sidecar), undefined, waits);
  }
  const d = report.difference;
  const json = { ok: report.matches, ...(!report.matches && { code: 'RESTORE_MISMATCH', message: `the restored schema of ${url.display} is not the one recorded when the backup was taken` }), backup: file, database: url.display, recorded: report.recorded, live: report.live.sha256, matches: report.matches, added: d.added, removed: d.removed, changed: d.changed };
  if (report.matches) {
    return { text: `restored ${file} into ${url.display}; its schema matches the fingerprint recorded when the backup was taken (sha256:${report.live.sha256.slice(0, 16)}…, ${report.live.objects.length} objects)`, json };
  }
  return {
    text: [
      `restored ${file} into ${url.display}, but its schema is not the one recorded when the backup was taken (${report.recorded.takenAt}, sha256:${report.recorded.sha256.slice(0, 16)}…; restored sha256:${report.live.sha256.slice(0, 16)}…)`,
      ...d.added.map((o) => `  added    ${objectLabel(o)}\n           ${o.definition}`),
      ...d.removed.map((o) => `  removed  ${objectLabel(o)}\n           was ${o.definition}`),
      ...d.changed.map((c) => `  changed  ${objectLabel(c)}\n           was ${c.before}\n           now ${c.after}`),
    ].join('\n'),
    json,
    exitCode: 2,
  };
};
