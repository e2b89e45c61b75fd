/** One line saying whether a history's chain holds, for status, history and the audit report. */
import type { History } from './history.js';

export function chainLine(history: History): string {
  const chain = history.chain;
  if (!chain) return 'not chained yet (written by an older migseal; the next apply, rollback or resolve begins the chain)';
  const since = chain.since ? `, from ${chain.since}, when it began over the history an older migseal had written` : '';
  return `intact: ${chain.entries} entr${chain.entries === 1 ? 'y' : 'ies'}${since}, newest sha256:${chain.head.slice(0, 16)}…`;
}
