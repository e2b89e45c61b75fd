#!/usr/bin/env node
// The floor in package.json "engines", said in one line rather than as a failure deep in a library.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 22) || (major === 24 && minor < 15)) {
  process.stderr.write(`migseal: needs Node 22.22 or later (24.15 or later on the 24 line); this is Node ${process.versions.node} (in a clone, \`npx node bin/migseal.js\` runs the project's own Node).\n`);
  process.exit(1);
}
// Built-in modules taken as CommonJS: an ES import of node:fs makes Node read every export of
// it once, which loads its file streams and node:stream (see scripts/build.mjs).
const { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync } = process.getBuiltinModule('node:fs');
const module = process.getBuiltinModule('node:module');
const { basename, dirname, isAbsolute, join } = process.getBuiltinModule('node:path');

// A clone that was never built has no dist/: one line that says what to do, not a stack trace.
const entry = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('migseal: not built yet: run `npm run build` in the migseal folder first.\n');
  process.exit(1);
}
// Node caches the compiled CLI on disk so a command does not compile the same code again on
// every run. What is in that cache is code the next run executes, and Node trusts any folder it
// is given (its default, in the shared temporary folder, may have been made by another user):
// the cache lives only in the running user's own cache folder, and only while no one else can
// write to it. Otherwise the CLI runs without it.
const cacheDir = privateCacheDir();
if (cacheDir && module.enableCompileCache?.(cacheDir)?.status === module.constants?.compileCacheStatus?.ENABLED) pruneCompileCache(cacheDir);
const { main } = await import(commandEntry(process.argv.slice(2)) ?? entry.href);

// A reader that went away (`migseal inspect --json | head`) is its own choice: no stack
// trace. Any other failure to write the output makes a successful command exit 1.
const streams = [process.stdout, process.stderr];
for (const stream of streams) stream.on('error', () => undefined);

const code = await main(process.argv.slice(2));
const writeFailure = () => streams.map((s) => s.errored).find((error) => error && error.code !== 'EPIPE');
// Read now and again once flushed: a later write to a file stream can clear `errored`.
let lost = writeFailure();
// Exit once both streams have flushed (writes to pipes are asynchronous on some systems)
// rather than when the event loop drains: tearing down a heap that is about to vanish
// costs a command 5 to 10 ms.
let open = streams.length;
const flushed = () => {
  if (--open > 0) return;
  lost ??= writeFailure();
  if (lost && code === 0) {
    if (!process.stderr.errored) process.stderr.write(`migseal: error: cannot write the output (${lost.code ?? lost.message}).\n`);
    process.exit(1);
  }
  process.exit(code);
};
for (const stream of streams) stream.write('', flushed);

/**
 * The file built for the command being run (dist/commands.json names one per command: the CLI's
 * entry and that command only, so a command loads one file rather than dozens of shared chunks);
 * help, --version and anything unknown go to dist/cli.js. The command is found as the CLI finds it.
 */
function commandEntry(argv) {
  let routes;
  try {
    routes = JSON.parse(readFileSync(new URL('../dist/commands.json', import.meta.url), 'utf8'));
  } catch {
    return undefined;
  }
  const name = [argv.slice(0, 2).join(' '), argv[0]].find((n) => n !== undefined && Object.hasOwn(routes, n));
  return name === undefined ? undefined : new URL(`../dist/${routes[name]}`, import.meta.url).href;
}

function privateCacheDir() {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : process.env.HOME && isAbsolute(process.env.HOME) ? join(process.env.HOME, '.cache') : undefined;
  if (!base || typeof process.getuid !== 'function') return undefined;
  const dir = join(base, 'migseal', 'compile-cache');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const path of [dir, join(dir, '..')]) {
      const stat = lstatSync(path);
      if (!stat.isDirectory() || stat.uid !== process.getuid() || (stat.mode & 0o022) !== 0) return undefined;
    }
    return dir;
  } catch {
    return undefined;
  }
}

/**
 * Keeps the cache bounded. Node gives each Node version (with its architecture, V8 flags and
 * user) a folder of its own inside the cache and never removes one, so every upgrade would leave
 * the last version's compiled code behind for good. The cache keeps the folder of the Node
 * running now and of the one used most recently before it (a host that runs two Nodes stays warm
 * on both); older ones are removed. Inside the current folder there is one entry per module file
 * ever loaded, and each install of migseal in a new place adds a set: past MAX_CACHE_ENTRIES the
 * oldest go (a removed entry only costs its module one compilation). Costs two directory reads
 * when there is nothing to remove; a failure leaves the cache as it is.
 */
function pruneCompileCache(base) {
  const KEEP_NODE_VERSIONS = 2;
  const MAX_CACHE_ENTRIES = 256;
  try {
    const current = module.getCompileCacheDir?.();
    if (!current || dirname(current) !== base) return;
    const versions = readdirSync(base);
    if (versions.length > 1) {
      // The folder's time says which Node used the cache last (Node itself touches it only when it writes an entry).
      const now = new Date();
      utimesSync(current, now, now);
      if (versions.length > KEEP_NODE_VERSIONS) {
        const others = versions.filter((name) => name !== basename(current)).map((name) => ({ path: join(base, name), used: lstatSync(join(base, name)).mtimeMs }));
        others.sort((a, b) => b.used - a.used);
        for (const old of others.slice(KEEP_NODE_VERSIONS - 1)) rmSync(old.path, { recursive: true, force: true });
      }
    }
    const entries = readdirSync(current);
    if (entries.length > MAX_CACHE_ENTRIES) {
      const files = entries.map((name) => ({ path: join(current, name), written: lstatSync(join(current, name)).mtimeMs }));
      files.sort((a, b) => a.written - b.written);
      for (const old of files.slice(0, files.length - MAX_CACHE_ENTRIES)) rmSync(old.path, { recursive: true, force: true });
    }
  } catch {
    /* a cache that cannot be tidied is still a cache */
  }
}
