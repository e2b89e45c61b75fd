/**
 * What an environment does with each finding signed into a manifest:
 *
 *   "findings": {
 *     "severity": { "warning": "allow" },
 *     "category": { "destructive": "approve", "outside-schema": "refuse" },
 *     "rule": { "locking/create-index-non-concurrently": "approve" },
 *     "suppressed": "allow"
 *   }
 *
 * "allow" lets the finding run, "approve" needs an approval signature on the bundle,
 * "refuse" refuses the bundle. The most specific entry decides: rule, then category, then
 * severity. When the policy says nothing, a statement that changes how the server reads SQL
 * text (and everything read after it) is refused; destructive and outside-schema findings
 * need an approval whatever their severity, as does any other error (an unreadable
 * statement, SQL built at run time, a transaction rule); other warnings and notes pass.
 * Findings a migseal:allow directive suppressed are judged like the others unless
 * "suppressed" is "allow": the author's directive is not a second person's approval.
 *
 * Down scripts are judged by the same entries when rollback runs them, with one default of
 * their own: a destructive finding there is allowed when the policy says nothing, since
 * undoing a migration destroys what it made, and the operator who asks for the rollback
 * decides that. A policy entry for the rule or the category judges them like up scripts.
 */
import { CATEGORIES, isRuleId, type Severity } from '../format/finding-rules.js';
import { isJsonObject, allowOnly } from '../format/json-shape.js';

export const FINDING_ACTIONS = ['allow', 'approve', 'refuse'] as const;
export type FindingAction = (typeof FINDING_ACTIONS)[number];

export interface FindingsPolicy {
  severity: Partial<Record<Severity, FindingAction>>;
  category: Record<string, FindingAction>;
  rule: Record<string, FindingAction>;
  suppressed: 'allow' | 'judge';
}

export interface FindingDecision {
  action: FindingAction;
  /** Which entry decided, e.g. `category "destructive" (default)`. */
  because: string;
}

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];
const DEFAULT_CATEGORY: Record<string, FindingAction> = { destructive: 'approve', 'outside-schema': 'approve' };
const DEFAULT_SEVERITY: Record<Severity, FindingAction> = { error: 'approve', warning: 'allow', info: 'allow' };
/** No static reader can say what SQL means after these: no approval makes that readable. */
const DEFAULT_RULE: Record<string, FindingAction> = { 'parse/tokenizer-setting': 'refuse', 'parse/read-after-tokenizer-setting': 'refuse' };

/** Validates an environment's "findings" section, pushing every problem onto p. */
export function parseFindingsPolicy(raw: unknown, at: string, p: string[]): FindingsPolicy | undefined {
  if (raw === undefined) return undefined;
  if (!isJsonObject(raw)) return void p.push(`${at} must be an object`);
  allowOnly(raw, at, ['severity', 'category', 'rule', 'suppressed'], p);
  const table = (name: string, known: (key: string) => boolean, what: string): Record<string, FindingAction> => {
    const out: Record<string, FindingAction> = Object.create(null);
    const value = raw[name];
    if (value === undefined) return out;
    if (!isJsonObject(value)) return void p.push(`${at}.${name} must be an object`), out;
    for (const [key, action] of Object.entries(value)) {
      if (!known(key)) p.push(`${at}.${name}.${key} is not ${what}`);
      else if (!FINDING_ACTIONS.includes(action as FindingAction)) p.push(`${at}.${name}.${key} must be allow, approve or refuse`);
      else out[key] = action as FindingAction;
    }
    return out;
  };
  const severity = table('severity', (k) => SEVERITIES.includes(k as Severity), 'error, warning or info');
  const category = table('category', (k) => (CATEGORIES as readonly string[]).includes(k), `one of ${CATEGORIES.join(', ')}`);
  const rule = table('rule', isRuleId, 'a known rule id');
  if (raw.suppressed !== undefined && raw.suppressed !== 'allow' && raw.suppressed !== 'judge') p.push(`${at}.suppressed must be "allow" or "judge"`);
  return { severity, category, rule, suppressed: raw.suppressed === 'allow' ? 'allow' : 'judge' };
}

export function decideFinding(finding: { rule: string; category: string; severity: Severity; suppressed?: string; direction?: 'down' }, policy: FindingsPolicy | undefined): FindingDecision {
  if (finding.suppressed !== undefined && policy?.suppressed === 'allow') return { action: 'allow', because: 'its migseal:allow directive' };
  const byRule = policy?.rule[finding.rule];
  if (byRule) return { action: byRule, because: `rule "${finding.rule}"` };
  const byCategory = policy?.category[finding.category];
  if (byCategory) return { action: byCategory, because: `category "${finding.category}"` };
  const defaultRule = DEFAULT_RULE[finding.rule];
  if (defaultRule) return { action: defaultRule, because: `rule "${finding.rule}" (default)` };
  if (finding.direction === 'down' && finding.category === 'destructive') return { action: 'allow', because: 'category "destructive" in a down script (default)' };
  const defaultCategory = DEFAULT_CATEGORY[finding.category];
  if (defaultCategory) return { action: defaultCategory, because: `category "${finding.category}" (default)` };
  const bySeverity = policy?.severity[finding.severity];
  if (bySeverity) return { action: bySeverity, because: `severity "${finding.severity}"` };
  return { action: DEFAULT_SEVERITY[finding.severity] ?? 'approve', because: `severity "${finding.severity}" (default)` };
}
