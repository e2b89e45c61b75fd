// Bundles the CLI and the library into dist/. Each command stays a separate chunk that the
// CLI imports only when that command runs; bundling dependencies saves start-up time
// spent resolving hundreds of small module files.
//
// The build is written beside dist/ and moved in so that a migseal process already running
// from dist/ keeps working: content-hashed chunks are added before the entry files are
// renamed over the old ones, and chunks of earlier builds are removed only once they are
// old enough that no process can still be loading them.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const OUT = 'dist';
const STAGING = `.dist-build-${process.pid}`;
// --clean (for `npm pack`): keep only this build's chunks, so the package holds exactly what it loads.
const STALE_CHUNK_MS = process.argv.includes('--clean') ? -1 : 10 * 60 * 1000;

/**
 * pg asks, when it loads, whether it runs in a Cloudflare Worker by constructing a fetch
 * Response, which makes Node load its whole HTTP client (about 17 ms of every command that
 * talks to PostgreSQL). migseal runs on Node only: take pg's Node sockets directly. The build
 * fails if pg's code no longer has the expected shape, so the choice is never made silently.
 */
const nodeOnlyPg = {
  name: 'pg-node-streams',
  setup(b) {
    b.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const probe = 'if (isCloudflareRuntime()) {';
      if (!source.includes(probe)) throw new Error(`${args.path}: pg's runtime probe changed; review the pg-node-streams build step`);
      return { contents: source.replace(probe, 'if (false) {'), loader: 'js' };
    });
  },
};

rmSync(STAGING, { recursive: true, force: true });
try {
  await build({
    entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts' },
    outdir: STAGING,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    chunkNames: 'chunks/[name]-[hash]',
    // Native addons, and libpg-query, which loads its .wasm file from beside its own module.
    external: ['better-sqlite3', 'pg-native', 'libpg-query'],
    banner: { js: "import { createRequire as __migsealCreateRequire } from 'node:module'; const require = __migsealCreateRequire(import.meta.url);" },
    plugins: [nodeOnlyPg],
    legalComments: 'none',
    logLevel: 'warning',
  });
  mkdirSync(join(OUT, 'chunks'), { recursive: true });
  const chunks = new Set(readdirSync(join(STAGING, 'chunks')));
  for (const name of chunks) renameSync(join(STAGING, 'chunks', name), join(OUT, 'chunks', name));
  for (const name of readdirSync(STAGING)) {
    if (name !== 'chunks') renameSync(join(STAGING, name), join(OUT, name));
  }
  const now = Date.now();
  for (const name of readdirSync(join(OUT, 'chunks'))) {
    const path = join(OUT, 'chunks', name);
    if (!chunks.has(name) && now - statSync(path).mtimeMs > STALE_CHUNK_MS) rmSync(path, { force: true });
  }
} finally {
  rmSync(STAGING, { recursive: true, force: true });
}
