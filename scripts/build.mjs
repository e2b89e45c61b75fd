// Bundles the CLI and the library into dist/. Each command stays a separate chunk that the
// CLI imports only when that command runs; bundling dependencies saves start-up time
// spent resolving hundreds of small module files.
//
// Split that way, one command still loads some 35 chunks (every set of commands that shares
// code gets one), and Node spends most of a millisecond on each file it loads. So each command
// is also built as one file of its own, dist/commands/NAME.js: the CLI's entry and that command,
// nothing else, which bin/migseal.js loads for that command (dist/commands.json names the file
// for each command; help, --version and unknown commands use dist/cli.js). Inside such a file
// the table's other commands are a stub that refuses: the bin never sends them there.
//
// The build is written beside dist/ and moved in so that a migseal process already running
// from dist/ keeps working: content-hashed chunks are added before the entry files are
// renamed over the old ones, and chunks of earlier builds are removed only once they are
// old enough that no process can still be loading them.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

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

/**
 * Node's built-in modules, taken as CommonJS rather than imported as ES modules. An ES import
 * of a built-in makes Node build a module facade that reads every export once, and reading
 * some exports loads more of Node: `node:fs` loads its file streams (and with them
 * node:stream), `node:util` its TextDecoder. That cost about 10 ms of every command before it
 * did anything. process.getBuiltinModule returns the same object `require` does.
 */
/** Node's built-in modules by their plain names (`http`, `fs/promises`); names that exist only with `node:` are not among them. */
const BARE_BUILTIN = new RegExp(`^(?:${builtinModules.filter((name) => !name.startsWith('_') && !name.includes(':')).map((name) => name.replace(/[/]/g, '\\/')).join('|')})$`);

const builtinsAsCommonJs = {
  name: 'builtins-as-commonjs',
  setup(b) {
    // migseal's own `import { a, b as c, type T } from 'node:x';` lines become `const { a, b: c } = process.getBuiltinModule('node:x');`:
    // a CommonJS module imported as ESM is wrapped in a namespace that copies each export's descriptor,
    // and that alone runs node:util's lazy TextDecoder.
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const source = readFileSync(args.path, 'utf8');
      const contents = source.replace(/^import \{([^}]*)\} from '(node:[a-z_/]+)';$/gm, (_, names, specifier) => {
        const bindings = names
          .split(',')
          .map((n) => n.trim())
          .filter((n) => n !== '' && !n.startsWith('type '))
          .map((n) => n.replace(/^(\w+) as (\w+)$/, '$1: $2'));
        if (bindings.some((n) => !/^\w+(: \w+)?$/.test(n))) throw new Error(`${args.path}: cannot read the import of ${specifier}: ${names}`);
        return `const { ${bindings.join(', ')} } = process.getBuiltinModule(${JSON.stringify(specifier)});`;
      });
      return { contents, loader: 'ts' };
    });
    // Anything else that imports a built-in (a dependency's ES module): the same object, as CommonJS,
    // whether named `node:http` or plain `http` (an ES import of node:http reads its lazy fetch
    // exports, which loads undici, HTTP/2 and TLS: some 25 ms of a pack that signs with a key).
    b.onResolve({ filter: /^node:/ }, (args) => (args.kind === 'import-statement' ? { path: args.path, namespace: 'builtin' } : undefined));
    b.onResolve({ filter: BARE_BUILTIN }, (args) => (args.kind === 'import-statement' ? { path: `node:${args.path}`, namespace: 'builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

const COMMON = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // Native addons, and libpg-query, which loads its .wasm file from beside its own module.
  external: ['better-sqlite3', 'pg-native', 'libpg-query'],
  banner: { js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
};

/**
 * esbuild writes strings, regular expressions and identifiers in ASCII, but keeps comments as
 * they are, and one dependency's comment with a dash in it made Node read a whole command file
 * (800 KB) as UTF-16: decoded character by character, held at twice the size and scanned as
 * such, some 20 million instructions of every start-up. A line that is a comment gets its other
 * characters spelled as \u{...}; anything else (a tagged template's text, whose raw form the tag
 * may read) is left alone.
 */
function asciiComments(path) {
  const source = readFileSync(path, 'utf8');
  if (!/[^\x00-\x7f]/.test(source)) return;
  const lines = source.split('\n').map((line) =>
    /[^\x00-\x7f]/.test(line) && /^\s*(?:\/\/|\/\*|\*)/.test(line) ? line.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`) : line,
  );
  writeFileSync(path, lines.join('\n'));
}

/** In the one-file build of `module`, the table's other commands resolve to a stub that refuses. */
function onlyCommand(module) {
  const stub = resolve('src/cli/other-command.ts');
  return {
    name: 'only-command',
    setup(b) {
      b.onResolve({ filter: /^\.\/commands\/[a-z-]+\.js$/ }, (args) => {
        if (!args.importer.endsWith(join('src', 'cli', 'table.ts'))) return undefined;
        return args.path === `./commands/${module}.js` ? undefined : { path: stub };
      });
    },
  };
}

/**
 * Which module runs each command, read from the table as built (`load` imports the command's
 * chunk, named after its module): the build fails rather than route a command to the wrong file.
 */
async function commandModules(cliPath) {
  const { COMMANDS } = await import(pathToFileURL(resolve(cliPath)).href);
  const routes = {};
  for (const [name, spec] of Object.entries(COMMANDS)) {
    const chunk = /import\("\.\/(?:chunks\/)?([a-z-]+)-[A-Z0-9]{8}\.js"\)/.exec(String(spec.load));
    if (!chunk || !existsSync(`src/cli/commands/${chunk[1]}.ts`)) throw new Error(`cannot tell which module runs "${name}" from ${String(spec.load)}`);
    routes[name] = chunk[1];
  }
  return routes;
}

rmSync(STAGING, { recursive: true, force: true });
try {
  await build({
    ...COMMON,
    // The analysis worker is a chunk of its own that pack starts in a worker thread (src/pack/analyze-in-parallel.ts).
    entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts', 'chunks/analysis-worker': 'src/lint/analysis-worker.ts' },
    outdir: STAGING,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [nodeOnlyPg, builtinsAsCommonJs],
  });
  const routes = await commandModules(join(STAGING, 'cli.js'));
  await Promise.all(
    [...new Set(Object.values(routes))].map((module) =>
      build({ ...COMMON, entryPoints: { [module]: 'src/cli/main.ts' }, outdir: join(STAGING, 'commands'), splitting: false, plugins: [nodeOnlyPg, builtinsAsCommonJs, onlyCommand(module)] }),
    ),
  );
  for (const dir of [STAGING, join(STAGING, 'chunks'), join(STAGING, 'commands')]) {
    for (const name of readdirSync(dir)) if (name.endsWith('.js')) asciiComments(join(dir, name));
  }
  writeFileSync(join(STAGING, 'commands.json'), `${JSON.stringify(Object.fromEntries(Object.entries(routes).map(([name, module]) => [name, `commands/${module}.js`])), null, 2)}\n`);
  mkdirSync(join(OUT, 'chunks'), { recursive: true });
  const chunks = new Set(readdirSync(join(STAGING, 'chunks')));
  for (const name of chunks) renameSync(join(STAGING, 'chunks', name), join(OUT, 'chunks', name));
  // Each command's file, then the routes that name them, then the entry files.
  mkdirSync(join(OUT, 'commands'), { recursive: true });
  for (const name of readdirSync(join(STAGING, 'commands'))) renameSync(join(STAGING, 'commands', name), join(OUT, 'commands', name));
  for (const name of readdirSync(STAGING)) {
    if (name !== 'chunks' && name !== 'commands') renameSync(join(STAGING, name), join(OUT, name));
  }
  for (const name of readdirSync(join(OUT, 'commands'))) {
    if (!existsSync(join('src', 'cli', 'commands', name.replace(/\.js$/, '.ts')))) rmSync(join(OUT, 'commands', name), { force: true });
  }
  const now = Date.now();
  for (const name of readdirSync(join(OUT, 'chunks'))) {
    const path = join(OUT, 'chunks', name);
    if (!chunks.has(name) && now - statSync(path).mtimeMs > STALE_CHUNK_MS) rmSync(path, { force: true });
  }
} finally {
  rmSync(STAGING, { recursive: true, force: true });
}
