/** The command a native tool is started with: argv words, `{dir}` replaced, never a shell string. */
import { MigsealError } from '../errors.js';

export const DIR_PLACEHOLDER = '{dir}';

export function commandFor(template: readonly string[], dir: string): string[] {
  if (template.length === 0 || template[0] === '') {
    throw new MigsealError('USAGE', 'exec needs a command after "--", like: migseal exec BUNDLE --trust FILE -- vendor/bin/doctrine-migrations migrate --configuration {dir}/migrations.php');
  }
  return template.map((word) => word.split(DIR_PLACEHOLDER).join(dir));
}
