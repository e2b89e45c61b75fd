// Bundles the CLI and the library into dist/. Each command stays a separate chunk that the
// CLI imports only when that command runs; bundling dependencies saves start-up time
// spent resolving hundreds of small module files.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['better-sqlite3', 'pg-native', 'libpg-query'],
  banner: { js: "import { createRequire as __migsealCreateRequire } from 'node:module'; const require = __migsealCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
