/**
 * The real CLI runner, retried only while dist/ is missing: `npm run build` deletes and
 * rewrites dist/, and a CLI started in that moment cannot load its modules. Any other
 * outcome, including every refusal, is returned on the first run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli as runOnce, jsonOf, BIN, type CliResult } from '../helpers/cli.js';

export { jsonOf, BIN, type CliResult };

export async function runCli(args: string[], options: Parameters<typeof runOnce>[1] = {}): Promise<CliResult> {
  for (let attempt = 0; ; attempt++) {
    const result = await runOnce(args, options);
    const distMissing = /Cannot find module '[^']*\/dist\//.test(result.stdout + result.stderr);
    if (!distMissing || attempt >= 20) return result;
    await sleep(250);
  }
}
