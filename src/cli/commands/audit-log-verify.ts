import { resolve } from 'node:path';
import { verifyAuditLog } from '../../audit/verify.js';
import { MigsealError } from '../../errors.js';
import type { CommandRun } from '../table.js';

export const run: CommandRun = async ({ positionals }, context) => {
  const path = positionals[0]!;
  const result = verifyAuditLog(resolve(context.cwd, path));
  if (!result.ok && result.firstBroken) {
    const { line, reason } = result.firstBroken;
    throw new MigsealError('AUDIT_CHAIN_BROKEN', `The audit log ${path} breaks at record ${line} of ${result.records}: ${reason}.`, {
      details: { path, records: result.records, firstBroken: result.firstBroken },
    });
  }
  return {
    text: [
      `audit log ${path}: ${result.records} records, chain intact`,
      ...(result.lastHash ? [`  last line   sha256:${result.lastHash}`] : []),
    ].join('\n'),
    json: { ok: true, path, records: result.records, ...(result.lastHash && { lastHash: result.lastHash }) },
  };
};
