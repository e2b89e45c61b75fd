// Makes sure better-sqlite3's native addon loads in the Node that runs this script.
//
// better-sqlite3 ships N-API binaries for Linux (glibc and musl), macOS and Windows on x64 and
// arm64, which load in every Node from 22 on: then this is a check that costs a fraction of a
// second. On any other platform there is no binary and no install script to make one, so it
// is built here once with node-gyp, against the headers of the running Node. In a clone that is
// the project's own Node (the `node` devDependency, first on PATH under `npm ci`/`npm run`),
// whatever `nodedir` the machine's npm configuration names.
//
// Usage: node scripts/native.mjs [--check]   (--check: report only, exit 1 if it does not load)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const checkOnly = process.argv.includes('--check');

function loads() {
  const probe = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"], { cwd: ROOT, encoding: 'utf8' });
  return { ok: probe.status === 0, why: (probe.stderr.match(/(NODE_MODULE_VERSION[^\n]*|Cannot find module[^\n]*|Could not locate[^\n]*)/) ?? [''])[0] };
}

/** A folder holding include/node/node.h for exactly the running Node's version. */
function headersFolder() {
  const candidates = [resolve(dirname(realpathSync(process.execPath)), '..')];
  const shipped = join(ROOT, 'node_modules', 'node', 'node_modules');
  if (existsSync(shipped)) for (const name of readdirSync(shipped)) if (/^node-/.test(name)) candidates.push(join(shipped, name));
  for (const dir of candidates) {
    const header = join(dir, 'include', 'node', 'node_version.h');
    if (!existsSync(header)) continue;
    const text = readFileSync(header, 'utf8');
    const part = (name) => text.match(new RegExp(`#define ${name} (\\d+)`))?.[1];
    if (`${part('NODE_MAJOR_VERSION')}.${part('NODE_MINOR_VERSION')}.${part('NODE_PATCH_VERSION')}` === process.versions.node) return dir;
  }
  return undefined;
}

function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return fromNpm;
  const npmCli = process.env.npm_execpath;
  if (npmCli) {
    const bundled = resolve(dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(bundled)) return bundled;
  }
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return undefined;
  }
}

const before = loads();
if (before.ok) process.exit(0);
if (checkOnly) {
  console.error(`native: better-sqlite3 does not load in Node ${process.version}${before.why ? ` (${before.why})` : ''}; run \`npm rebuild\` or \`node scripts/native.mjs\``);
  process.exit(1);
}

let addon;
try {
  addon = dirname(require.resolve('better-sqlite3/package.json'));
} catch {
  console.error('native: better-sqlite3 is not installed; run `npm ci` first');
  process.exit(1);
}
const gyp = nodeGyp();
if (!gyp) {
  console.error('native: cannot find node-gyp (it comes with npm); run this script through `npm run` or `npm ci`');
  process.exit(1);
}
const nodedir = headersFolder();
const args = [gyp, 'rebuild', '--release', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
console.error(`native: building better-sqlite3 for Node ${process.version}${nodedir ? ` with the headers in ${nodedir}` : ''} (a few minutes)`);
const env = { ...process.env };
// The machine's npm configuration may name another Node's headers; the folder found above wins.
delete env.npm_config_nodedir;
delete env.NPM_CONFIG_NODEDIR;
if (nodedir) env.npm_config_nodedir = nodedir;
const started = Date.now();
const built = spawnSync(process.execPath, args, { cwd: addon, env, encoding: 'utf8', maxBuffer: 64 << 20 });
const after = loads();
if (built.status !== 0 || !after.ok) {
  // The compiler's own words, only when they matter.
  process.stderr.write(`${built.stderr ?? ''}`.split('\n').slice(-40).join('\n'));
  console.error(`native: building better-sqlite3 failed${after.why ? ` (${after.why})` : ''}; it needs python3, make and a C++ compiler`);
  process.exit(1);
}
console.error(`native: better-sqlite3 built in ${Math.round((Date.now() - started) / 1000)} s`);
