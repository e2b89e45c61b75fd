/** The audit report as a terminal summary: the same facts as the page, in brief. */
import type { AuditFacts, Comparison, DatabaseEntry } from './facts.js';
import { refusalSentence } from './refusal.js';

export function renderText(facts: AuditFacts, htmlPath?: string): string {
  const v = facts.verification;
  const r = facts.release;
  const lines = [
    v.outcome === 'refused'
      ? `REFUSED: ${refusalSentence(v.message)} (${v.code})`
      : v.outcome === 'verified'
        ? `verified ${r!.project} release ${r!.release} for environment "${v.environment}"`
        : `${r!.project} release ${r!.release} (claimed, NOT verified: pass --trust FILE to verify)`,
  ];
  if (r) lines.push(`  release id   sha256:${r.digest}`, `  files        ${r.files}, ${r.filesMatch ? 'all matching the manifest' : 'NOT matching the manifest'}`);
  if (facts.provenance) {
    const { source, builder } = facts.provenance;
    lines.push(`  source       ${source.repository ?? '(unknown repository)'} ${source.commit ?? '(unknown commit)'}${source.dirty ? ' (dirty tree)' : ''}, builder ${builder.id}`);
  }
  for (const s of facts.signatures.signers) {
    const who = s.identity ? `${s.identity.identity}, issuer ${s.identity.issuer}` : s.keyId ? `key ${s.keyId.slice(0, 16)}…` : 'certificate';
    lines.push(`  signed by    ${s.policyId ? `${s.policyId} ` : ''}(${s.role ?? '?'}) ${who}${s.signedAt ? ` at ${s.signedAt}` : ''}`);
  }
  for (const s of facts.signatures.setAside) lines.push(`  set aside    ${s.reason}`);
  const findings = facts.migrations.reduce((n, m) => n + m.findings.length, facts.otherFindings.length);
  lines.push(`  migrations   ${facts.migrations.length}, ${findings} finding${findings === 1 ? '' : 's'}`);
  const db = facts.database;
  if (db) {
    const c = db.counts;
    lines.push(`  database     ${db.url}: ${c.match} match, ${c.pending} pending, ${c.drift} drift, ${c.dirty} dirty, ${c['not-in-bundle']} not in bundle`);
    for (const e of db.entries.filter((x) => x.comparison !== 'match' && x.comparison !== 'pending')) lines.push(`    ${label(e)} ${e.version} ${e.name}`);
  }
  if (htmlPath) lines.push(`  report       ${htmlPath}`);
  return lines.join('\n');
}

const LABELS: Record<Comparison, string> = { match: 'match', pending: 'pending', drift: 'DRIFT', dirty: 'DIRTY', 'not-in-bundle': 'NOT IN BUNDLE' };
const label = (e: DatabaseEntry): string => LABELS[e.comparison];
