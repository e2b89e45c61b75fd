/**
 * Lints a migrations folder as pack would read it. Exits 2 when an error finding in an up
 * script is not suppressed, so CI can stop a release before it is packed; warnings never
 * fail. Down scripts are read too; their findings are shown, and judged at rollback.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MigsealError } from '../../errors.js';
import { blockingFindings, toSarif } from '../../lint/index.js';
import { analyzeFolder } from '../../pack/analyze-folder.js';
import { VERSION } from '../help.js';
import type { CommandRun } from '../table.js';
import { count as plural } from '../plural.js';

const FORMATS = ['text', 'json', 'sarif'];

export const run: CommandRun = async ({ positionals, flags }) => {
  const format = flags.json === true ? 'json' : typeof flags.format === 'string' ? flags.format : 'text';
  if (!FORMATS.includes(format)) throw new MigsealError('USAGE', `Unknown format "${format}"; choose text, json or sarif.`);
  const dir = resolve(positionals[0]!);
  const started = performance.now();
  const result = analyzeFolder(dir, {
    ...(typeof flags.layout === 'string' && { layout: flags.layout }),
    ...(typeof flags.dialect === 'string' && { dialect: flags.dialect }),
  });
  const ms = Math.round(performance.now() - started);
  const blocking = blockingFindings(result.findings);
  const exitCode = blocking.length > 0 ? 2 : 0;
  const json = { ok: exitCode === 0, layout: result.layout, dialect: result.dialect, migrations: result.migrations, errors: blocking.length, findings: result.findings };
  if (format === 'sarif') {
    const sarif = toSarif(result.findings, { version: VERSION, baseUri: pathToFileURL(dir).href });
    return { text: JSON.stringify(sarif, null, 2), json: sarif, exitCode };
  }
  if (format === 'json') return { text: JSON.stringify(json, null, 2), json, exitCode };
  const up = result.findings.filter((f) => f.direction !== 'down');
  const count = (severity: string): number => up.filter((f) => f.severity === severity && f.suppressed === undefined).length;
  const suppressed = up.filter((f) => f.suppressed !== undefined).length;
  const down = result.findings.length - up.length;
  const lines = result.findings.map(
    (f) =>
      `${f.file}:${f.line}  ${f.suppressed === undefined ? f.severity : 'allowed'}${f.direction === 'down' ? ' (down script: judged by the policy at rollback)' : ''}  ${f.rule}\n    ${f.statement ?? ''}\n    ${f.message}${f.suppressed === undefined ? '' : `\n    allowed: ${f.suppressed}`}`,
  );
  lines.push(
    `${plural(result.migrations, 'migration')} (${result.layout} layout, ${result.dialect}) read in ${ms} ms: ${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')}, ${plural(count('info'), 'note')}, ${suppressed} allowed by directives${down > 0 ? `; ${plural(down, 'finding')} in down scripts` : ''}`,
  );
  return { text: lines.join('\n'), json, exitCode };
};
