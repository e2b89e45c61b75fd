/**
 * The text of `migseal diff`: alerts first (a changed released migration on the very first
 * line), then what was compared and how far it was trusted, then each kind of change. Every
 * string that comes from a bundle is escaped before it reaches the terminal.
 */
import { changedAfterRelease, type ReleaseDiff, type ReleaseSigner } from '../diff/index.js';
import type { FileVersion } from '../diff/migrations.js';
import { terminalSafe as safe } from '../format/terminal-text.js';

const W = 17;

const ALERT_LABELS: Record<ReleaseDiff['alerts'][number]['kind'], string> = {
  'changed-after-release': 'CHANGED AFTER RELEASE',
  'removed-after-release': 'REMOVED AFTER RELEASE',
  'added-before-released': 'OUT OF ORDER',
  moved: 'REORDERED',
  'release-not-newer': 'NOT NEWER',
  'same-release-other-contents': 'SAME RELEASE, OTHER CONTENTS',
  'other-project': 'OTHER PROJECT',
};

export function renderDiff(diff: ReleaseDiff, about: { oldPath: string; newPath: string; trust?: string; environment?: string }): string {
  const lines: string[] = diff.alerts.map((a) => `${ALERT_LABELS[a.kind]}: ${safe(a.message)}`);
  const { old: a, new: b } = diff;
  lines.push(
    `diff ${safe(a.project)} release ${a.release} → ${safe(b.project)} release ${b.release}`,
    about.trust
      ? `  ${'verified'.padEnd(W)} both bundles, against ${safe(about.trust)} for environment "${safe(about.environment ?? '')}"`
      : `  ${'UNVERIFIED'.padEnd(W)} contents are claimed, not verified: each file matches its manifest, but no signature was checked (pass --trust to verify both)`,
    `  ${'old'.padEnd(W)} sha256:${a.digest}  ${safe(about.oldPath)}`,
    `  ${'new'.padEnd(W)} sha256:${b.digest}  ${safe(about.newPath)}${diff.sameRelease ? '  (the same manifest)' : ''}`,
    ...([['old', a], ['new', b]] as const).flatMap(([label, side]) => (side.stale ? [`  ${`${label} stale`.padEnd(W)} ${safe(side.stale)} Hosts refuse to apply it; its signatures and files verify.`] : [])),
  );
  for (const f of diff.fields) if (f.field !== 'createdAt' || !diff.sameRelease) lines.push(`  ${f.field.padEnd(W)} ${value(f.old)} → ${value(f.new)}`);
  lines.push(...signers(diff), ...migrations(diff), ...files(diff), ...findings(diff), ...patches(diff));
  lines.push(summary(diff));
  return lines.join('\n');
}

function value(v: string | boolean | null): string {
  return v === null ? '(none)' : typeof v === 'string' ? safe(v) : String(v);
}

function who(s: ReleaseSigner): string {
  const name = s.keyId && !s.signer.startsWith('key ') ? `${safe(s.signer)} (key ${s.keyId.slice(0, 16)}…)` : s.keyId ? `key ${s.keyId.slice(0, 16)}…` : safe(s.signer);
  return `${s.role} by ${name}${s.identity ? `: ${safe(s.identity)}, issuer ${safe(s.issuer ?? '?')}` : ''}${s.problem ? ` (${safe(s.problem)})` : ''}`;
}

function signers(diff: ReleaseDiff): string[] {
  const { added, removed } = diff.signers;
  if (added.length + removed.length === 0) return [];
  return ['signers', ...removed.map((s) => `  - ${who(s)}`), ...added.map((s) => `  + ${who(s)}`)];
}

function file(f: FileVersion | undefined): string {
  return f ? `sha256:${f.sha256} ${f.size} B` : '(none)';
}

function migrations(diff: ReleaseDiff): string[] {
  const m = diff.migrations;
  const counts = [`${m.added.length} added`, `${m.removed.length} removed`, `${m.changed.length} changed`, `${m.renamed.length} renamed`, `${m.moved.length} moved`];
  if (m.added.length + m.removed.length + m.changed.length + m.renamed.length + m.moved.length === 0) return ['migrations   no changes'];
  const out = [`migrations   ${counts.join(', ')}`];
  const released = new Set(changedAfterRelease(diff).map((c) => c.version));
  for (const r of m.removed) out.push(`  - ${r.version.padEnd(16)} ${safe(r.name)}${r.repeatable ? ' (repeatable)' : '  REMOVED AFTER RELEASE'}`);
  for (const c of m.changed) {
    const label = released.has(c.version) && !c.repeatable ? '  CHANGED AFTER RELEASE' : ' (repeatable: runs again)';
    out.push(`  ! ${c.version.padEnd(16)} ${safe(c.name)}${c.oldName !== undefined ? ` (was ${safe(c.oldName)})` : ''}${label}`);
    for (const s of c.scripts) {
      out.push(`      ${s.script.padEnd(8)} ${safe(s.new?.path ?? s.old!.path)}${s.old && s.new && s.old.path !== s.new.path ? ` (was ${safe(s.old.path)})` : ''}`);
      out.push(`        old ${file(s.old)}`, `        new ${file(s.new)}`);
    }
    for (const f of c.flags) out.push(`      ${f.flag.padEnd(8)} ${String(f.old)} → ${String(f.new)}`);
    if (c.upChanged && !c.repeatable) out.push('      databases that ran it refuse this release (MIGRATION_DRIFT)');
  }
  for (const r of m.renamed) out.push(`  ~ ${r.version.padEnd(16)} ${safe(r.oldName)} → ${safe(r.name)} (same bytes)`);
  for (const x of m.moved) out.push(`  ↕ ${x.version.padEnd(16)} ${safe(x.name)}: position ${x.oldPosition} → ${x.newPosition}`);
  for (const x of m.added) out.push(`  + ${x.version.padEnd(16)} ${safe(x.name)}${x.beforeReleased ? `  (ordered before released ${x.beforeReleased})` : ''}`);
  return out;
}

function files(diff: ReleaseDiff): string[] {
  const f = diff.files;
  if (f.added.length + f.removed.length + f.changed.length === 0) return [];
  return [
    `files        ${f.added.length} added, ${f.removed.length} removed, ${f.changed.length} changed`,
    ...f.removed.map((x) => `  - ${safe(x.path)}`),
    ...f.changed.map((x) => `  ! ${safe(x.path)}  ${x.old.sha256.slice(0, 16)}… ${x.old.size} B → ${x.new.sha256.slice(0, 16)}… ${x.new.size} B`),
    ...f.added.map((x) => `  + ${safe(x.path)}`),
  ];
}

function findings(diff: ReleaseDiff): string[] {
  const f = diff.findings;
  if (f.added.length + f.removed.length === 0) return [];
  const line = (sign: string, x: (typeof f.added)[number]) => `  ${sign} ${x.severity} ${safe(x.rule)} ${safe(x.file)}:${x.line} ${safe(x.message)}${x.suppressed ? ` (suppressed: ${safe(x.suppressed)})` : ''}`;
  return [`findings     ${f.added.length} new, ${f.removed.length} gone`, ...f.removed.map((x) => line('-', x)), ...f.added.map((x) => line('+', x))];
}

function patches(diff: ReleaseDiff): string[] {
  if (!diff.patches) return [];
  return diff.patches.flatMap(({ version, script, patch, added }) => [
    `patch ${version} ${script}${added ? ' (added)' : ''}`,
    ...('omitted' in patch ? [`  (not shown: ${patch.omitted})`] : [...patch.lines.map((l) => `  ${l}`), ...(patch.truncated ? [`  (${patch.truncated} more lines not shown)`] : [])]),
  ]);
}

function summary(diff: ReleaseDiff): string {
  const changed = changedAfterRelease(diff);
  if (changed.length > 0) return `refused: ${changed.length} released migration${changed.length === 1 ? '' : 's'} changed (${changed.map((c) => c.version).join(', ')}); exit 2`;
  const m = diff.migrations;
  const f = diff.files;
  const nothing = m.added.length + m.removed.length + m.renamed.length + m.moved.length + f.added.length + f.removed.length + f.changed.length + diff.findings.added.length + diff.findings.removed.length + diff.signers.added.length + diff.signers.removed.length === 0;
  return nothing ? 'no migration, file, finding or signer changed' : 'no released migration changed';
}
