import { existsSync } from 'node:fs';
import { bundleJson, migrationList } from '../json-shape.js';
import { resolve } from 'node:path';
import { MigsealError } from '../../errors.js';
import { pack } from '../../pack/index.js';
import type { Dialect } from '../../format/manifest.js';
import { writeOutput } from '../io.js';
import { requireFlag } from '../parse.js';
import { parseRole, signingFromFlags } from '../signing-key.js';
import { COMMANDS, type CommandRun } from '../table.js';
import { describePeerHistory } from '../../peer-history/index.js';
import { provenanceClaims } from '../../format/provenance-statement.js';
import { count as plural } from '../plural.js';

export const run: CommandRun = async ({ positionals, flags }, { env, progress }) => {
  const usage = COMMANDS.pack!.usage;
  const out = requireFlag(flags, 'out', usage);
  const force = flags.force === true;
  // Checked before any work: a release bundle is never replaced by accident.
  if (!force && existsSync(out)) throw new MigsealError('IO', `${out} already exists; pass --force to overwrite it.`);
  const signing = await signingFromFlags(flags, env, progress);
  const signers = signing ? [{ signer: signing.signer, role: parseRole(flags.role, 'release'), witnesses: signing.witnesses }] : [];
  progress(`packing ${positionals[0]}`);
  const result = await pack({
    dir: resolve(positionals[0]!),
    project: requireFlag(flags, 'project', usage),
    release: requireFlag(flags, 'release', usage),
    ...(typeof flags.dialect === 'string' && { dialect: flags.dialect as Dialect }),
    ...(typeof flags.layout === 'string' && { layout: flags.layout }),
    ...(typeof flags.expires === 'string' && { expiresAt: flags.expires }),
    ...(typeof flags['peer-history'] === 'string' && { peerHistory: flags['peer-history'] }),
    ...(typeof flags['peer-table'] === 'string' && { peerTable: flags['peer-table'] }),
    source: {
      ...(typeof flags['source-repo'] === 'string' && { repository: flags['source-repo'] }),
      ...(typeof flags['source-commit'] === 'string' && { commit: flags['source-commit'] }),
      ...(typeof flags['source-ref'] === 'string' && { ref: flags['source-ref'] }),
      ...(typeof flags.builder === 'string' && { builder: flags.builder }),
      ...(typeof flags.invocation === 'string' && { invocation: flags.invocation }),
    },
    signers,
    env,
  });
  writeOutput(out, result.bundle, 0o644, force);
  const { manifest } = result;
  const claims = result.provenance && provenanceClaims(result.provenance);
  // The bundle is still written: a rebuild of an old release must give the same bytes. But say it.
  const expired = manifest.expiresAt !== undefined && Date.parse(manifest.expiresAt) <= Date.now();
  return {
    text: [
      `packed ${manifest.project} release ${manifest.release} into ${out}`,
      `  release id  sha256:${result.digest}`,
      `  layout      ${manifest.layout}, ${plural(manifest.migrations.length, 'migration')}, ${plural(manifest.files.length, 'file')}, dialect ${manifest.dialect}`,
      `  findings    ${manifest.findings.length}${manifest.analysis ? ` (${(manifest.analysis.dialects ?? [manifest.analysis.dialect]).join(' and ')}; ${manifest.findings.filter((f) => f.severity === 'error' && !f.suppressed && f.direction !== 'down').length} errors not allowed by directives${manifest.findings.some((f) => f.direction === 'down') ? `, ${manifest.findings.filter((f) => f.direction === 'down').length} in down scripts` : ''}; see migseal lint)` : ' (not analysed)'}`,
      `  peer table  ${describePeerHistory(manifest.peerHistory)}`,
      `  signatures  ${signers.length === 0 ? 'none (add one with migseal sign --role release)' : signers.map((s) => s.role).join(', ')}`,
      `  provenance  ${claims ? `SLSA v1, builder ${claims.builderId}${claims.invocationId ? `, run ${claims.invocationId}` : ''}` : 'none (written only with a release signature)'}`,
      ...result.notices.map((n) => `  NOT RUN     ${n}`),
      ...(expired ? [`  WARNING     the release expired at ${manifest.expiresAt}: every host will refuse it (BUNDLE_EXPIRED)`] : []),
    ].join('\n'),
    json: {
      ok: true,
      bundle: bundleJson(out, result.digest, manifest, false),
      out,
      digest: result.digest,
      project: manifest.project,
      release: manifest.release,
      layout: manifest.layout,
      migrations: migrationList(manifest.migrations),
      files: manifest.files.length,
      signatures: signers.length,
      findings: manifest.findings.length,
      ...(manifest.peerHistory && { peerHistory: manifest.peerHistory }),
      ...(result.notices.length > 0 && { notRun: result.notices }),
      ...(claims && { provenance: claims }),
      ...(manifest.expiresAt !== undefined && { expiresAt: manifest.expiresAt, expired }),
    },
  };
};
