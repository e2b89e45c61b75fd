/** Static analysis of migrations: the entry points the packer, the CLI and layouts use. */
export { analyzeMigrations, analyzeFile, blockingFindings, ANALYSIS_TOOL, type AnalysisInput } from './analyze.js';
export { transactionModeFor, type TransactionMode, type TransactionSemantics } from './transaction-mode.js';
export { toSarif } from './sarif.js';
export { RULES, CATEGORIES, ruleById, isRuleId, categoryOf, type Rule, type Category, type Severity } from '../format/finding-rules.js';
export type { Finding, LintDialect } from './types.js';
