/** The audit report as a terminal summary: the same facts as the page, in brief. */
import type { AuditFacts, BuildProvenanceFacts, Comparison, DatabaseEntry, ProvenanceFacts, ProvenanceRequirementFacts } from './facts.js';
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
  if (v.outcome === 'verified' && v.stale) lines.push(`  STALE        ${v.stale} Hosts refuse to apply it (BUNDLE_EXPIRED).`);
  if (r) lines.push(`  release id   sha256:${r.digest}`, `  files        ${r.files}, ${r.filesMatch ? 'all matching the manifest' : 'NOT matching the manifest'}`);
  if (facts.provenance) lines.push(...provenanceLines(facts.provenance));
  for (const s of facts.signatures.signers) {
    const who = signerText(s, 'certificate');
    lines.push(`  signed by    ${s.policyId ? `${s.policyId} ` : ''}(${s.role ?? '?'}) ${who}${s.signedAt ? ` at ${s.signedAt}` : ''}`);
  }
  for (const s of facts.signatures.setAside) lines.push(`  set aside    ${s.reason}`);
  const findings = facts.migrations.reduce((n, m) => n + m.findings.length, facts.otherFindings.length);
  lines.push(`  migrations   ${facts.migrations.length}, ${findings} finding${findings === 1 ? '' : 's'}`);
  const db = facts.database;
  if (db) {
    const c = db.counts;
    lines.push(`  database     ${db.url}: ${c.match} match, ${c.pending} pending, ${c.drift} drift, ${c.dirty} dirty, ${c['not-in-bundle']} not in bundle`);
    lines.push(`  release      ${db.marker ? `release ${db.marker.release}` : 'no release wholly applied'}${db.partial ? `; ${db.partial.text}` : ''}`);
    for (const e of db.entries.filter((x) => x.comparison !== 'match' && x.comparison !== 'pending')) lines.push(`    ${label(e)} ${e.version} ${e.name}`);
    if (db.chain) lines.push(`  history      chain ${db.chain}`);
    if (db.schema) lines.push(`  schema       ${schemaLine(db.schema)}`);
  }
  if (htmlPath) lines.push(`  report       ${htmlPath}`);
  return lines.join('\n');
}

/** The recorded fingerprint and the live schema, in one line. */
export function schemaLine(s: NonNullable<NonNullable<AuditFacts['database']>['schema']>): string {
  const recorded = `fingerprint sha256:${s.recorded.sha256.slice(0, 16)}… recorded ${s.recorded.recordedAt}`;
  return s.matches ? `${recorded}; the live schema matches it` : `${recorded}; the live schema DRIFTED from it (${s.drift ?? ''})`;
}

/** A signer as one phrase, the same for a release signature and a provenance: certificate identity and issuer, or key id. */
function signerText(s: { identity?: { identity?: string; issuer?: string }; keyId?: string }, unknown: string): string {
  if (s.identity) return `${s.identity.identity ?? 'certificate'}${s.identity.issuer ? `, issuer ${s.identity.issuer}` : ''}`;
  return s.keyId ? `key ${s.keyId.slice(0, 16)}…` : unknown;
}

function provenanceLines(p: ProvenanceFacts): string[] {
  const { source, builder } = p;
  return [
    `  source       ${source.repository ?? '(unknown repository)'} ${source.commit ?? '(unknown commit)'}${source.dirty ? ' (dirty tree)' : ''}, builder ${builder.id} (manifest)`,
    ...(p.statements.length ? p.statements.flatMap(statementLines) : [`  provenance   no signed build provenance${p.setAside.length ? ' that counts' : ''}`]),
    ...p.setAside.map((s) => `  set aside    ${s.reason}`),
    ...p.disagreements.map((d) => `  DIFFERS      the provenance names ${d.field} ${d.provenance ?? '(none)'}, the manifest ${d.manifest ?? '(none)'}`),
    ...(p.requirement ? [requirementLine(p.requirement)] : []),
  ];
}

function statementLines(b: BuildProvenanceFacts): string[] {
  const s = b.signer;
  const who = signerText(s, 'unknown signer');
  return [
    `  provenance   ${b.trust}, signed by ${s.policyId ? `${s.policyId}, ` : ''}${who}${b.problem ? ` (${b.problem})` : ''}`,
    `    builder    ${b.builderId}`,
    `    source     ${b.sourceRepository ?? '(no repository)'}${b.sourceRef ? ` ${b.sourceRef}` : ''} ${b.sourceCommit ?? '(no commit)'}`,
    ...(b.invocationId ? [`    run        ${b.invocationId}`] : []),
  ];
}

function requirementLine(r: ProvenanceRequirementFacts): string {
  if (!r.required) return `  required     no provenance required for "${r.environment}"`;
  const wanted = [
    r.builderId !== undefined ? `builder ${r.builderId}` : r.builderIdPattern ? `builder matching ${r.builderIdPattern}` : '',
    r.sourceRepository !== undefined ? `repository ${r.sourceRepository}` : r.sourceRepositoryPattern ? `repository matching ${r.sourceRepositoryPattern}` : '',
  ].filter(Boolean);
  const status = r.status === 'met' ? 'met' : r.status === 'not-met' ? 'NOT MET' : 'not checked (refused first)';
  const signedBy = r.builderIsSigner ? ', signed by the builder\'s certificate identity' : '';
  return `  required     "${r.environment}": a verified provenance${wanted.length ? ` from ${wanted.join(', ')}` : ''}${signedBy}: ${status}`;
}

const LABELS: Record<Comparison, string> = { match: 'match', pending: 'pending', drift: 'DRIFT', dirty: 'DIRTY', 'not-in-bundle': 'NOT IN BUNDLE' };
const label = (e: DatabaseEntry): string => LABELS[e.comparison];
