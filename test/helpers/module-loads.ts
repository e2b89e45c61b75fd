/**
 * Records every module a run of the built CLI loads: a loader hook writes each ES module's URL,
 * and at exit every CommonJS module in the require cache, to a file. Packages are read from the
 * paths and, for migseal's own built files, from esbuild's marks of the modules bundled into them,
 * so a package counts as loaded whether it was required at run time or bundled into a chunk.
 * Node's own modules the run loaded (node:net, node:child_process…) are recorded at exit too.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LoadRecording {
  /** Node's arguments that install the recording; put them before the script. */
  nodeArgs: string[];
  /** What the run loaded: its files (each once, in load order) and the packages among them. */
  loaded(): { files: string[]; packages: string[]; builtins: string[] };
}

export function recordModuleLoads(dir: string, name: string): LoadRecording {
  const hooks = join(dir, `${name}-hooks.mjs`);
  const record = join(dir, `${name}-loads.txt`);
  writeFileSync(record, '');
  writeFileSync(
    hooks,
    [
      "import { appendFileSync } from 'node:fs';",
      "import { createRequire } from 'node:module';",
      `const record = ${JSON.stringify(record)};`,
      'export async function load(url, context, next) { appendFileSync(record, url + "\\n"); return next(url, context); }',
      "const { Module } = createRequire(import.meta.url)('node:module');",
      "process.on('exit', () => appendFileSync(record, Object.keys(Module._cache).map((p) => 'file://' + p + '\\n').join('')));",
      "process.on('exit', () => appendFileSync(record, process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => 'node:' + m.slice(13) + '\\n').join('')));",
    ].join('\n'),
  );
  const hooksUrl = new URL(`file://${hooks}`).href;
  const register = `data:text/javascript,import { register } from 'node:module'; register(${JSON.stringify(hooksUrl)});`;
  return {
    nodeArgs: ['--import', register, '--import', hooksUrl],
    loaded() {
      const lines = readFileSync(record, 'utf8').split('\n');
      const files = [...new Set(lines.filter((u) => u.startsWith('file://')))].map((u) => fileURLToPath(u));
      const builtins = [...new Set(lines.filter((u) => u.startsWith('node:')))];
      const packages = new Set<string>();
      for (const path of files) {
        for (const m of path.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)) packages.add(m[1]!);
        if (/\/dist\/.*\.js$/.test(path)) for (const m of readFileSync(path, 'utf8').matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)) packages.add(m[1]!);
      }
      return { files, packages: [...packages], builtins };
    },
  };
}
