/**
 * Install-to-first-verify, as a production host meets migseal: `npm install -g` of the packed
 * tarball into an empty prefix, then the installed command's first `verify` (with Node's
 * compile cache empty), a warm one, and one with the compile cache switched off.
 *
 *   npm run bench:install [-- TARBALL]     (without TARBALL: `npm pack` first, not timed)
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median, run } from './lib.mjs';

const root = resolve(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'migseal-bench-install-'));
try {
  let tarball = process.argv[2] && resolve(process.argv[2]);
  if (!tarball) {
    run('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: root });
    tarball = join(tmp, readdirSync(tmp).find((name) => name.endsWith('.tgz')));
  }
  const prefix = join(tmp, 'prefix');
  const installMs = run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: tmp });
  const migseal = join(prefix, 'bin', 'migseal');
  const listed = spawnSync('npm', ['ls', '-g', '--prefix', prefix, '--all', '--parseable'], { encoding: 'utf8' }).stdout.trim().split('\n').length - 1;

  // A signed release and a policy that trusts its key, made with the installed command (not timed).
  const work = join(tmp, 'host');
  mkdirSync(join(work, 'migrations'), { recursive: true });
  mkdirSync(join(work, 'keys'), { mode: 0o700 });
  for (let i = 1; i <= 20; i++) writeFileSync(join(work, 'migrations', `${i}_step.up.sql`), `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, note TEXT);\n`);
  const cli = (args, env = {}) => run(migseal, args, { cwd: work, env: { ...process.env, ...env } });
  cli(['keys', 'generate', '--out', 'keys/release']);
  writeFileSync(join(work, 'keys', 'trust.json'), JSON.stringify({ project: 'bench', keys: [{ id: 'ci', publicKey: 'release.pub', roles: ['release'] }], environments: { default: { release: 1 } } }));
  chmodSync(join(work, 'keys', 'trust.json'), 0o644);
  cli(['pack', 'migrations', '--project', 'bench', '--release', '1', '--dialect', 'sqlite', '--out', 'r1.migseal', '--key', 'keys/release.key']);

  const verify = (env) => cli(['verify', 'r1.migseal', '--trust', 'keys/trust.json'], env);
  // migseal keeps Node's compile cache in the user's cache folder: a fresh one is an empty cache.
  const cache = join(tmp, 'cache');
  mkdirSync(cache, { mode: 0o700 });
  const firstMs = verify({ XDG_CACHE_HOME: cache });
  const warm = median(Array.from({ length: 7 }, () => verify({ XDG_CACHE_HOME: cache })));
  const off = median(Array.from({ length: 7 }, () => verify({ NODE_DISABLE_COMPILE_CACHE: '1' })));

  const node = spawnSync(process.execPath, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`install-to-first-verify on Node ${node}, npm ${spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim()}`);
  console.log(`  npm install -g of the tarball into an empty prefix  ${(installMs / 1000).toFixed(1)} s (${listed} packages)`);
  console.log(`  first migseal verify (compile cache empty)          ${Math.round(firstMs)} ms`);
  console.log(`  migseal verify, compile cache warm (median of 7)    ${Math.round(warm)} ms`);
  console.log(`  migseal verify, compile cache off (median of 7)     ${Math.round(off)} ms`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
