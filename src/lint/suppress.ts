/**
 * Suppression directives: a comment right before a statement, or after it on the same line,
 *   -- migseal:allow destructive/drop-table reason: replaced by the archive table
 * silences the named rules for that statement only. The reason is recorded with the finding.
 */
import { commentsIn, lineAt } from './source-text.js';
import { isRuleId } from '../format/finding-rules.js';
import type { Hit, Statement } from './types.js';

export interface Directive {
  rules: string[];
  reason: string;
  line: number;
  used: boolean;
}

const DIRECTIVE = /^\s*migseal:allow\b(.*)$/s;

/** Directives per statement index, and hits for malformed directives. */
export function readDirectives(text: string, statements: Statement[]): { byStatement: Directive[][]; problems: Hit[] } {
  const problems: Hit[] = [];
  const byStatement = statements.map((stmt, i) => {
    const next = statements[i + 1];
    const eol = text.indexOf('\n', stmt.end);
    const trailingEnd = Math.min(eol < 0 ? text.length : eol, next ? next.start : text.length);
    const leadingFrom = i === 0 ? stmt.gapStart : endOfLine(text, stmt.gapStart);
    const comments = [...commentsIn(text, Math.min(leadingFrom, stmt.start), stmt.start), ...commentsIn(text, stmt.end, trailingEnd)];
    const found: Directive[] = [];
    for (const c of comments) {
      const m = DIRECTIVE.exec(c.text);
      if (!m) continue;
      const line = lineAt(text, c.start);
      const parsed = /^\s*([^\s]+(?:\s*,\s*[^\s,]+)*)\s+reason:\s*(\S.*?)\s*$/s.exec(m[1]!.replace(/\*\/$/, ''));
      const rules = parsed ? parsed[1]!.split(/\s*,\s*/) : [];
      const unknown = rules.filter((r) => !isRuleId(r));
      if (!parsed || unknown.length > 0) {
        problems.push({ rule: 'parse/bad-directive', statement: { ...stmt, line, text: c.text.trim() }, ...(unknown.length > 0 && { detail: `unknown rule ${unknown.join(', ')}` }) });
        continue;
      }
      found.push({ rules, reason: parsed[2]!.replace(/\s+/g, ' '), line, used: false });
    }
    return found;
  });
  return { byStatement, problems };
}

function endOfLine(text: string, index: number): number {
  const nl = text.indexOf('\n', index);
  return nl < 0 ? text.length : nl + 1;
}
