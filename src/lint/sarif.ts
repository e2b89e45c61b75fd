/** Findings as a SARIF 2.1.0 log, for code-scanning dashboards. */
import { RULES, categoryOf } from '../format/finding-rules.js';
import type { Finding } from './types.js';

const LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;

export function toSarif(findings: readonly Finding[], options: { version: string; baseUri: string }): Record<string, unknown> {
  const index = new Map(RULES.map((r, i) => [r.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'migseal',
            version: options.version,
            rules: RULES.map((r) => ({
              id: r.id,
              shortDescription: { text: r.message },
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { category: categoryOf(r.id) },
            })),
          },
        },
        originalUriBaseIds: { MIGRATIONS: { uri: options.baseUri.endsWith('/') ? options.baseUri : `${options.baseUri}/` } },
        results: findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: index.get(f.rule) ?? 0,
          // A down script's findings are judged at rollback, not in code review: a note there.
          level: f.direction === 'down' ? 'note' : LEVEL[f.severity],
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: encodeURI(f.file), uriBaseId: 'MIGRATIONS' },
                region: { startLine: Math.max(1, f.line), ...(f.statement && { snippet: { text: f.statement } }) },
              },
            },
          ],
          ...(f.suppressed !== undefined && { suppressions: [{ kind: 'inSource', justification: f.suppressed }] }),
        })),
      },
    ],
  };
}
