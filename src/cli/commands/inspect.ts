/**
 * Shows what a bundle claims. Nothing here is verified against a trust policy: the archive
 * is parsed with the same strict reader, and file digests are checked, but signatures are
 * only listed. `verify` is the command that decides.
 */
import { inspectBundle } from '../../inspect/index.js';
import { bundleJson, migrationList } from '../json-shape.js';
import { describeClaimedSigner as who } from '../../inspect/claimed-signer.js';
import { readInput } from '../io.js';
import type { CommandRun } from '../table.js';

export const run: CommandRun = async ({ positionals }) => {
  const report = await inspectBundle(readInput(positionals[0]!, 'bundle'));
  const m = report.manifest;
  const lines = [
    `${m.project} release ${m.release} (unverified: run migseal verify to check signatures against a trust policy)`,
    `  release id   sha256:${report.digest}`,
    `  created      ${m.createdAt}${m.expiresAt ? `, expires ${m.expiresAt}` : ''}`,
    `  dialect      ${m.dialect}, layout ${m.layout}`,
    `  source       ${m.source.repository ?? '(unknown repository)'} ${m.source.commit ?? '(unknown commit)'}${m.source.dirty ? ' (dirty tree)' : ''}`,
    `  builder      ${m.builder.id}`,
    `  files        ${m.files.length}, ${report.filesMatch ? 'all matching the manifest' : 'NOT matching the manifest'}`,
    `  signatures   ${report.signatures.length}`,
    ...report.signatures.map((s) => `    ${s.role ?? '?'} by ${who(s)}, claimed${s.problem ? ` (${s.problem})` : ''}`),
    `  provenance   ${report.provenance.length === 0 ? 'none' : report.provenance.length}`,
    ...report.provenance.flatMap((p) =>
      p.problem
        ? [`    by ${who(p)}, claimed (${p.problem})`]
        : [
            `    builder    ${p.builderId}`,
            `    source     ${p.sourceRepository ?? '(no repository)'}${p.sourceRef ? ` ${p.sourceRef}` : ''} ${p.sourceCommit ?? '(no commit)'}`,
            `    invocation ${p.invocationId ?? '(none)'}`,
            `    build type ${p.buildType}`,
            `    signed by  ${who(p)}, claimed`,
          ],
    ),
    `  migrations   ${m.migrations.length}`,
    ...m.migrations.map((mg) => `    ${mg.version.padEnd(16)} ${mg.name}${mg.down ? '' : ' (no down)'}${mg.transactional ? '' : ' (non-transactional)'}`),
    `  findings     ${m.findings.length}`,
    ...m.findings.map((f) => `    ${f.severity} ${f.rule} ${f.file}:${f.line} ${f.message}${f.suppressed ? ` (suppressed: ${f.suppressed})` : ''}`),
  ];
  return { text: lines.join('\n'), json: { ok: true, bundle: bundleJson(positionals[0], report.digest, m, false), ...report, verified: false } };
};
