/**
 * The audit report as one self-contained HTML page: a pure function of the facts. No
 * scripts, a Content-Security-Policy that forbids loading anything, inline CSS only, and
 * every bundle or database value escaped (see html.ts).
 */
import type { AuditFacts, BuildProvenanceFacts, Comparison, DatabaseFacts, FindingFacts, MigrationFacts, ProvenanceDisagreement, ProvenanceFacts, ProvenanceRequirementFacts, SignatureFacts, Trust } from './facts.js';
import { html, raw, type Html } from './html.js';
import { STYLE } from './style.js';
import { refusalSentence } from './refusal.js';
import { schemaLine } from './render-text.js';

export const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export function renderHtml(facts: AuditFacts): string {
  const r = facts.release;
  const title = r ? `${r.project} release ${r.release}` : 'unreadable bundle';
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${raw(CONTENT_SECURITY_POLICY)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Audit: ${title}</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<main>
<header class="top">
<div class="kicker">migseal audit report</div>
<h1>${title}</h1>
<div class="digest-line">release digest <code>${r ? `sha256:${r.digest}` : 'unknown'}</code></div>
<div class="generated">generated at <time>${facts.generatedAt}</time>${facts.generatedAtSource === 'SOURCE_DATE_EPOCH' ? ' (from SOURCE_DATE_EPOCH)' : ''} from <code>${facts.bundle.path}</code> (${facts.bundle.size} bytes)</div>
</header>
${banner(facts)}
${summary(facts)}
${r ? releaseSection(facts) : ''}
${signersSection(facts.signatures)}
${facts.provenance ? provenanceSection(facts.provenance) : ''}
${migrationsSection(facts)}
${facts.database ? databaseSection(facts.database) : ''}
${facts.database?.chain ? html`<p class="muted">History chain: ${facts.database.chain}</p>` : ''}
${facts.database?.schema ? html`<p class="muted">Live schema: ${schemaLine(facts.database.schema)}</p>` : ''}
<footer>This page was written by migseal from the bundle${facts.database ? ' and the database' : ''} named above. It runs no scripts and loads nothing.
<span class="badge ok">verified</span> marks facts checked against the host's trust policy; <span class="badge warn">claimed</span> marks what the bundle says about itself, trusting nothing.</footer>
</main>
</body>
</html>
`.toString();
}

function banner(facts: AuditFacts): Html {
  const v = facts.verification;
  if (v.outcome === 'refused') return html`<div class="banner refused" role="alert"><strong>REFUSED:</strong> ${refusalSentence(v.message)} (${v.code})<br><span class="muted">${v.policy ? `Checked against ${v.policy}, environment "${v.environment}". ` : 'Read without a trust policy. '}Everything below is only claimed by the bundle.</span></div>`;
  if (v.outcome === 'verified' && v.stale) {
    return html`<div class="banner verified"><strong>VERIFIED ✓</strong> against the trust policy ${v.policy}, environment "${v.environment}": signatures, thresholds, file hashes, target and findings policy all pass.</div>
<div class="banner claimed"><strong>STALE:</strong> ${v.stale} Hosts refuse to apply it (BUNDLE_EXPIRED); what it contained and who signed it are verified above.</div>`;
  }
  if (v.outcome === 'verified') return html`<div class="banner verified"><strong>VERIFIED ✓</strong> against the trust policy ${v.policy}, environment "${v.environment}": signatures, thresholds, file hashes, target, expiry and findings policy all pass.</div>`;
  return html`<div class="banner claimed"><strong>CLAIMED, NOT VERIFIED.</strong> No trust policy was given (--trust FILE): every fact on this page is what the bundle says about itself.</div>`;
}

function summary(facts: AuditFacts): Html {
  const v = facts.verification.outcome;
  const findings = facts.migrations.reduce((n, m) => n + m.findings.length, facts.otherFindings.length);
  const db = facts.database;
  const problems = db ? db.counts.drift + db.counts.dirty + db.counts['not-in-bundle'] : 0;
  return html`<div class="summary">
${card('Verification', v === 'verified' ? 'verified ✓' : v === 'refused' ? 'refused ✗' : 'claimed', v === 'verified' ? 'ok' : v === 'refused' ? 'bad' : 'warn', facts.verification.outcome === 'claimed' || !facts.verification.environment ? 'no trust policy' : `environment ${facts.verification.environment}`)}
${card('Signers', String(facts.signatures.signers.length), '', facts.signatures.setAside.length ? `${facts.signatures.setAside.length} set aside` : facts.signatures.trust)}
${card('Migrations', String(facts.migrations.length), '', facts.release ? `${facts.release.files} files${facts.release.filesMatch ? '' : ', NOT matching'}` : '')}
${card('Findings', String(findings), findings ? 'warn' : 'ok', 'static analysis')}
${facts.provenance ? provenanceCard(facts.provenance) : ''}
${db ? card('Database', problems ? `${problems} problem${problems === 1 ? '' : 's'}` : 'matches', problems ? 'bad' : 'ok', `${db.counts.match} match, ${db.counts.pending} pending, ${db.counts.drift} drift`) : ''}
</div>`;
}

function provenanceCard(p: ProvenanceFacts): Html {
  const b = p.statements[0];
  const value = !b ? 'none' : b.problem || p.disagreements.length ? 'conflicting' : b.trust === 'verified' ? 'verified ✓' : 'claimed';
  const tone = !b ? (p.requirement?.required ? 'bad' : 'warn') : b.problem || p.disagreements.length ? 'bad' : b.trust === 'verified' ? 'ok' : 'warn';
  const r = p.requirement;
  const sub = !r ? 'no trust policy' : !r.required ? 'not required here' : `required: ${r.status === 'met' ? 'met' : r.status === 'not-met' ? 'NOT met' : 'not checked'}`;
  return card('Provenance', value, tone, sub);
}

function card(label: string, value: string, tone: string, sub: string): Html {
  return html`<div class="card"><div class="label">${label}</div><div class="value ${tone}">${value}</div><div class="sub">${sub}</div></div>`;
}

const trustBadge = (t: Trust): Html => html`<span class="badge ${t === 'verified' ? 'ok' : 'warn'}">${t}</span>`;

/** A digest shortened on screen, whole in its title and in print. */
function digest(hex: string | undefined, prefix = ''): Html {
  if (!hex) return html`<span class="muted">none</span>`;
  return html`<code class="digest" title="${prefix}${hex}">${prefix}${hex.slice(0, 12)}<span class="rest">${hex.slice(12)}</span><span class="ell">…</span></code>`;
}

function releaseSection(facts: AuditFacts): Html {
  const r = facts.release!;
  return html`<section id="release"><h2>Release ${trustBadge(r.trust)}</h2><dl class="facts">
<dt>Project</dt><dd>${r.project}</dd><dt>Release</dt><dd>${r.release}</dd>
<dt>Release digest</dt><dd><code>sha256:${r.digest}</code></dd>
<dt>Dialect / layout</dt><dd>${r.dialect} / ${r.layout}</dd>
<dt>Created</dt><dd>${r.createdAt}</dd><dt>Expires</dt><dd>${r.expiresAt ?? 'never'}</dd>
<dt>Files</dt><dd>${r.files}, ${r.filesMatch ? 'every size and SHA-256 matching the manifest' : html`<span class="badge bad">not matching the manifest</span>`}</dd>
${r.analysis ? html`<dt>Analysed by</dt><dd>${r.analysis.tool} (${r.analysis.dialect})</dd>` : ''}
</dl></section>`;
}

function signersSection(s: SignatureFacts): Html {
  return html`<section id="signers"><h2>Signers ${trustBadge(s.trust)}</h2>
${s.trust === 'claimed' ? html`<p class="note">Signatures are listed, not checked: who they name is a claim until verified.</p>` : ''}
<table><thead><tr><th>Role</th><th>Signer</th><th>Issuer</th><th>Signed at</th><th>Entry</th></tr></thead><tbody>
${s.signers.length ? s.signers.map((x) => html`<tr><td><span class="badge info">${x.role ?? 'unknown'}</span></td>
<td>${x.policyId ? html`<strong>${x.policyId}</strong><br>` : ''}${x.identity ? (x.identity.identity ?? 'certificate') : x.keyId ? html`key ${digest(x.keyId)}` : 'certificate'}</td>
<td>${x.identity ? html`${x.identity.issuer ?? html`<span class="muted">unknown</span>`}${x.identity.authority ? html`<br><span class="muted">CA ${x.identity.authority}</span>` : ''}` : x.keyId ? html`<span class="muted">n/a (key)</span>` : html`<span class="muted">unknown</span>`}</td>
<td class="nowrap">${x.signedAt ?? html`<span class="muted">no trusted timestamp</span>`}</td><td><code>${x.entry}</code></td></tr>`) : html`<tr><td colspan="5" class="muted">none</td></tr>`}
</tbody></table>
${s.setAside.length ? html`<h3>Set aside (not counted)</h3><table><thead><tr><th>Entry</th><th>Why</th></tr></thead><tbody>
${s.setAside.map((x) => html`<tr><td><code>${x.entry}</code></td><td>${x.reason}${x.code ? html` <span class="badge plain">${x.code}</span>` : ''}</td></tr>`)}
</tbody></table>` : ''}
</section>`;
}

function provenanceSection(p: ProvenanceFacts): Html {
  const differs = (field: ProvenanceDisagreement['field']): Html | '' => (p.disagreements.some((d) => d.field === field) ? html` <span class="badge bad">differs from the provenance</span>` : '');
  return html`<section id="provenance"><h2>Provenance ${trustBadge(p.trust)}</h2>
${p.requirement ? requirementLine(p.requirement) : ''}
<div class="columns"><div>
<h3>Signed build provenance <span class="muted">SLSA v1</span></h3>
${p.statements.length ? p.statements.map(buildProvenance) : html`<p class="note"><strong>No signed build provenance</strong>${p.setAside.length ? ' that counts (set aside below)' : ': the bundle carries none'}.</p>`}
</div><div>
<h3>The manifest says</h3><dl class="facts">
<dt>Repository</dt><dd>${p.source.repository ?? html`<span class="muted">unknown</span>`}${differs('source repository')}</dd>
<dt>Commit</dt><dd>${p.source.commit ? html`<code>${p.source.commit}</code>` : html`<span class="muted">unknown</span>`}${p.source.dirty ? html` <span class="badge bad">dirty tree</span>` : ''}${differs('source commit')}</dd>
<dt>Builder</dt><dd><code>${p.builder.id}</code>${differs('builder')}</dd>
</dl></div></div>
${p.setAside.length ? html`<h3>Set aside (not counted)</h3><table><thead><tr><th>Entry</th><th>Why</th></tr></thead><tbody>
${p.setAside.map((x) => html`<tr><td><code>${x.entry}</code></td><td>${x.reason}${x.code ? html` <span class="badge plain">${x.code}</span>` : ''}</td></tr>`)}
</tbody></table>` : ''}
</section>`;
}

function buildProvenance(b: BuildProvenanceFacts): Html {
  const s = b.signer;
  const who = s.identity
    ? html`${s.identity.identity ?? 'certificate'}${s.identity.issuer ? html` <span class="muted">issuer</span> ${s.identity.issuer}` : ''}${s.identity.authority ? html` <span class="muted">CA</span> ${s.identity.authority}` : ''}`
    : s.keyId ? html`key ${digest(s.keyId)}` : 'unknown signer';
  return html`<dl class="facts">
<dt>Status</dt><dd>${b.trust === 'verified' ? html`<span class="badge ok">verified</span> signed by a release signer the policy trusts, about this manifest` : html`<span class="badge warn">claimed</span> not checked against a trust policy`}${b.problem ? html` <span class="badge bad">${b.problem}</span>` : ''}</dd>
<dt>Builder</dt><dd><code>${b.builderId}</code></dd>
<dt>Source</dt><dd>${b.sourceRepository ?? html`<span class="muted">no repository</span>`}${b.sourceRef ? html` <span class="muted">at</span> <code>${b.sourceRef}</code>` : ''}</dd>
<dt>Commit</dt><dd>${b.sourceCommit ? html`<code>${b.sourceCommit}</code>` : html`<span class="muted">none</span>`}</dd>
<dt>Run</dt><dd>${b.invocationId ?? html`<span class="muted">none recorded</span>`}</dd>
<dt>Build type</dt><dd><code>${b.buildType ?? 'unknown'}</code></dd>
<dt>Signed by</dt><dd>${s.policyId ? html`<strong>${s.policyId}</strong> ` : ''}${who}</dd>
<dt>Entry</dt><dd><code>${b.entry}</code></dd>
</dl>`;
}

const REQUIREMENT_STATUS = {
  met: html`<span class="badge ok">met</span>`,
  'not-met': html`<span class="badge bad">not met</span>`,
  'not-checked': html`<span class="badge plain">not checked</span> <span class="muted">the bundle was refused first</span>`,
} as const;

function requirementLine(r: ProvenanceRequirementFacts): Html {
  if (!r.required) return html`<p class="note">Environment "${r.environment}" does not require a build provenance.</p>`;
  const wanted = [
    r.builderId !== undefined ? html`builder <code>${r.builderId}</code>` : r.builderIdPattern ? html`a builder matching <code>${r.builderIdPattern}</code>` : '',
    r.sourceRepository !== undefined ? html`source repository <code>${r.sourceRepository}</code>` : r.sourceRepositoryPattern ? html`a source repository matching <code>${r.sourceRepositoryPattern}</code>` : '',
  ].filter((x) => x !== '');
  const signedBy = r.builderIsSigner ? ', signed by the certificate identity it names as builder' : '';
  return html`<dl class="facts"><dt>Required</dt><dd>environment "${r.environment}" requires a verified build provenance${wanted.length ? html` from ${wanted.flatMap((w, i) => (i ? [' and ', w] : [w]))}` : ''}${signedBy} ${r.status ? REQUIREMENT_STATUS[r.status] : ''}</dd></dl>`;
}

function migrationsSection(facts: AuditFacts): Html {
  const trust = facts.release?.trust ?? 'claimed';
  return html`<section id="migrations"><h2>Migrations ${trustBadge(trust)}</h2>
<table><thead><tr><th>Version</th><th>Name</th><th>Up / down</th><th>SHA-256 (up)</th><th class="num">Size</th><th>Mode</th></tr></thead><tbody>
${facts.migrations.length ? facts.migrations.map(migrationRow) : html`<tr><td colspan="6" class="muted">none readable</td></tr>`}
</tbody></table>
${facts.otherFindings.length ? html`<h3>Other findings</h3>${findingList(facts.otherFindings)}` : ''}
</section>`;
}

function migrationRow(m: MigrationFacts): Html {
  const row = html`<tr><td class="mono nowrap">${m.version}</td><td>${m.name}</td>
<td>${m.up ? html`<code>${m.up.path}</code>` : html`<span class="muted">empty up</span>`}${m.down ? html`<br><code>${m.down.path}</code>` : html`<br><span class="muted">no down</span>`}</td>
<td>${m.up ? digest(m.up.sha256) : ''}</td><td class="num">${m.up?.size ?? 0} B</td>
<td>${m.transactional ? html`<span class="badge plain">transaction</span>` : html`<span class="badge warn">non-transactional</span>`}${m.repeatable ? html` <span class="badge info">repeatable</span>` : ''}${m.runner === 'native' ? html` <span class="badge info">native</span>` : ''}</td></tr>`;
  return m.findings.length ? html`${row}<tr class="findings"><td></td><td colspan="5">${findingList(m.findings)}</td></tr>` : row;
}

function findingList(findings: readonly FindingFacts[]): Html {
  const tone = (s: string) => (s === 'error' ? 'bad' : s === 'warning' ? 'warn' : 'info');
  return html`<ul class="findings">${findings.map((f) => html`<li><span class="badge ${tone(f.severity)}">${f.severity}</span> <code>${f.rule}</code> at <code>${f.file}:${f.line}</code>: ${f.message}${f.suppressed ? html` <span class="muted">(suppressed: ${f.suppressed})</span>` : ''}${f.decision ? html` <span class="badge ${f.decision.action === 'allow' ? 'ok' : 'info'}">${f.decision.action === 'allow' ? 'allowed' : 'approved'}</span> <span class="muted">by ${f.decision.because}</span>` : ''}${f.statement ? html`<code class="stmt">${f.statement}</code>` : ''}</li>`)}</ul>`;
}

const COMPARISON: Record<Comparison, { label: string; tone: string }> = {
  match: { label: 'match', tone: 'ok' },
  drift: { label: 'DRIFT', tone: 'bad' },
  pending: { label: 'pending', tone: 'warn' },
  dirty: { label: 'dirty', tone: 'bad' },
  'not-in-bundle': { label: 'not in bundle', tone: 'bad' },
};

function databaseSection(db: DatabaseFacts): Html {
  return html`<section id="database"><h2>Database <span class="badge plain">recorded</span></h2>
<dl class="facts"><dt>Database</dt><dd><code>${db.url}</code></dd>
<dt>Recorded release</dt><dd>${db.marker ? html`${db.marker.project} release ${db.marker.release} ${digest(db.marker.bundleDigest, 'sha256:')} <span class="muted">since ${db.marker.updatedAt}</span>` : db.exists ? 'none wholly applied' : 'no migseal history: nothing was ever applied here by migseal'}</dd>${db.partial ? html`<dt>Partly applied</dt><dd>${db.partial.text}</dd>` : ''}</dl>
<p class="note">What the database's history tables record (read-only). "match": the recorded checksum equals the bundle's; "DRIFT": it does not; "pending": not applied yet.</p>
<table><thead><tr><th>Version</th><th>Name</th><th>Database</th><th>State</th><th>Applied at</th><th>By / host</th><th>Run / environment</th><th>Release</th><th class="num">Duration</th><th>Recorded SHA-256</th></tr></thead><tbody>
${db.entries.map((e) => {
  const a = e.applied;
  const c = COMPARISON[e.comparison];
  return html`<tr><td class="mono nowrap">${e.version}</td><td>${e.name}</td><td><span class="badge ${c.tone}">${c.label}</span></td>
<td>${a ? html`${a.state}${a.note ? html`<br><span class="muted">${a.note}</span>` : ''}` : html`<span class="muted">not applied</span>`}</td>
<td class="nowrap">${a?.at ?? ''}</td><td>${a ? html`${a.by}${a.host ? html`<br><span class="muted">host ${a.host}</span>` : ''}` : ''}</td>
<td>${a ? html`${digest(a.runId)}${a.command ? html`<br><span class="muted">${a.command}${a.environment ? `, ${a.environment}` : ''}</span>` : ''}` : ''}</td>
<td>${a?.release ?? ''}</td><td class="num">${a ? `${a.durationMs} ms` : ''}</td>
<td>${a ? digest(a.checksum) : ''}${e.comparison === 'drift' ? html`<br><span class="muted">bundle</span> ${digest(e.bundleChecksum)}` : ''}</td></tr>`;
})}
</tbody></table>
${db.runs.length ? html`<h3>Runs</h3><table><thead><tr><th>Started</th><th>Command</th><th>Outcome</th><th>Release</th><th>By</th><th>Environment</th><th>Signed by</th></tr></thead><tbody>
${db.runs.map((r) => html`<tr><td class="nowrap">${r.startedAt}</td><td>${r.command}${r.reason ? html`<br><span class="muted">${r.reason}</span>` : ''}</td>
<td><span class="badge ${r.outcome === 'succeeded' ? 'ok' : r.outcome === 'running' ? 'info' : 'bad'}">${r.outcome}</span>${r.error ? html`<br><span class="muted">${r.error}</span>` : ''}</td>
<td>${r.release ?? ''}${r.bundleDigest ? html`<br>${digest(r.bundleDigest, 'sha256:')}` : ''}</td><td>${r.osUser}@${r.host}</td><td>${r.environment ?? ''}</td><td>${r.signers.join(', ')}</td></tr>`)}
</tbody></table>` : ''}
</section>`;
}
