import { resolve } from 'node:path';
import { readHistory } from '../../apply/index.js';
import { crossCheck, describeDisagreement, startedRecords, type AnchorReport } from '../../audit/anchor.js';
import { verifyAuditLog } from '../../audit/verify.js';
import { MigsealError } from '../../errors.js';
import { parseDatabaseUrl } from '../../db/index.js';
import { withDatabase } from '../database.js';
import type { CommandRun } from '../table.js';
import { waitLimitFlags } from '../wait-limits.js';
import type { WaitLimits } from '../../db/driver.js';

export const run: CommandRun = async ({ positionals, flags }, context) => {
  const path = positionals[0]!;
  const full = resolve(context.cwd, path);
  const waits = waitLimitFlags(flags);
  const result = verifyAuditLog(full);
  if (!result.ok && result.firstBroken) {
    const { line, reason } = result.firstBroken;
    throw new MigsealError('AUDIT_CHAIN_BROKEN', `The audit log ${path} breaks at record ${line} of ${result.records}: ${reason}.`, {
      details: { path, records: result.records, firstBroken: result.firstBroken },
    });
  }
  const anchor = typeof flags.db === 'string' ? await againstDatabase(full, path, flags.db, waits, context) : undefined;
  return {
    text: [
      `audit log ${path}: ${result.records} records, chain intact`,
      ...(result.lastHash ? [`  last line   sha256:${result.lastHash}`] : []),
      ...(anchor
        ? [`  database    ${anchor.database}: all ${anchor.report.matched} anchored run(s) match their started records${anchor.report.unanchored ? `; ${anchor.report.unanchored} older run(s) were recorded before runs were anchored` : ''}`]
        : []),
    ].join('\n'),
    json: {
      ok: true,
      path,
      records: result.records,
      ...(result.lastHash && { lastHash: result.lastHash }),
      ...(anchor && { database: anchor.database, matched: anchor.report.matched, unanchored: anchor.report.unanchored }),
    },
  };
};

/** The log against the runs the database recorded (its history chain checked first), read-only. */
async function againstDatabase(full: string, path: string, raw: string, waits: Partial<WaitLimits>, { env, cwd }: Parameters<CommandRun>[1]): Promise<{ database: string; report: AnchorReport }> {
  const url = parseDatabaseUrl(raw, cwd);
  const history = await withDatabase(url, env, true, (driver) => readHistory(driver), undefined, waits);
  const report = crossCheck(startedRecords(full), history.runs, url.display);
  if (!report.ok) {
    throw new MigsealError('AUDIT_CHAIN_BROKEN', describeDisagreement(report, path, url.display), {
      details: { path, database: url.display, missing: report.missing, rechained: report.rechained, extra: report.extra },
    });
  }
  return { database: url.display, report };
}
