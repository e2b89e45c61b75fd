/**
 * migseal's bench: runs the built CLI beside a baseline of standard tools on the same data,
 * in the same run, and prints both, their ratio, and whether each target of the bundle
 * format is met. Not a test: it prints figures and always exits 0 unless something breaks.
 *
 *   npm run bench                      builds, then runs everything (a few minutes on 2 cores)
 *   BENCH_BIG_MB=50 node bench/run.mjs smaller big-file case, for a quick look
 *   BENCH_RUNS=5 BENCH_STARTUP_RUNS=50  more runs per figure (medians are reported)
 *   BENCH_ONLY=startup                 only some figures: pack (pack and verify 5,000), big (the big files), startup
 */
import { cpus, tmpdir } from 'node:os';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatMb, formatMs, median, peakRss, run, shell, startupTimes, table, timed } from './lib.mjs';
import { writeBigMigration, writeMigrations, writePolicy } from './data.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = process.execPath;
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const STARTUP_RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 30);
const ONLY = new Set((process.env.BENCH_ONLY ?? 'pack,big,startup').split(','));

const tmp = mkdtempSync(join(tmpdir(), 'migseal-bench-'));
const at = (name) => join(tmp, name);
// A snapshot of the built CLI, so a rebuild in the checkout during the run cannot disturb it.
for (const part of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, part), at(`app/${part}`), { recursive: true });
symlinkSync(join(ROOT, 'node_modules'), at('app/node_modules'));
const BIN = at('app/bin/migseal.js');
const env = { PATH: process.env.PATH, HOME: process.env.HOME };
const cli = (...args) => run(NODE, [BIN, ...args], { cwd: tmp, env });
const log = (line) => process.stderr.write(`${line}\n`);

const rows = [['case', 'migseal', 'baseline', 'ratio', 'baseline is']];
const targets = [];
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;

try {
  console.log(`migseal bench: node ${process.version}, ${cpus().length} cores, big file ${BIG_MB} MB, ${RUNS} runs per figure (median)\n`);
  cli('keys', 'generate', '--out', at('release'));
  const policy = writePolicy(tmp, 'release');

  if (ONLY.has('pack')) {
    // 5,000 migrations: pack and verify, beside tar + sha256sum + openssl on the same folder.
    log('generating 5,000 migrations');
    writeMigrations(at('m5000'), 5000);
    log('packing 5,000 migrations');
    const pack5000 = timed(() => cli('pack', at('m5000'), '--project', 'bench', '--release', '1', '--key', at('release.key'), '--out', at('m5000.migseal'), '--force'), { runs: RUNS });
    cli('pack', at('m5000'), '--project', 'bench', '--release', '1', '--key', at('release.key'), '--out', at('m5000-again.migseal'));
    const identical = readFileSync(at('m5000.migseal')).equals(readFileSync(at('m5000-again.migseal')));
    const basePack = timed(
      () =>
        shell(
          `tar czf base.tgz -C m5000 .
           (cd m5000 && sha256sum -- * > ../base.sha256)
           openssl pkeyutl -sign -inkey release.key -rawin -in base.sha256 -out base.sig`,
          { cwd: tmp },
        ),
      { runs: RUNS },
    );
    rows.push(['pack 5,000 migrations', formatMs(pack5000.median), formatMs(basePack.median), ratio(pack5000.median, basePack.median), 'tar czf + sha256sum + openssl sign']);
    targets.push({ target: 'pack 5,000 migrations under 1 s', value: formatMs(pack5000.median), met: pack5000.median < 1000 });
    targets.push({ target: 'pack 5,000 migrations byte-identical on re-run', value: identical ? 'identical' : 'differs', met: identical });

    log('verifying 5,000 migrations');
    const verify5000 = timed(() => cli('verify', at('m5000.migseal'), '--trust', policy), { runs: RUNS });
    const baseVerify = timed(
      () =>
        shell(
          `rm -rf x && mkdir x && tar xzf base.tgz -C x
           (cd x && sha256sum -c --quiet ../base.sha256)
           openssl pkeyutl -verify -pubin -inkey release.pub -rawin -in base.sha256 -sigfile base.sig > /dev/null`,
          { cwd: tmp },
        ),
      { runs: RUNS },
    );
    rows.push(['verify 5,000 migrations', formatMs(verify5000.median), formatMs(baseVerify.median), ratio(verify5000.median, baseVerify.median), 'tar xzf + sha256sum -c + openssl verify']);
    rmSync(at('x'), { recursive: true, force: true });

  }

  if (ONLY.has('big')) {
    // One big file: verify time beside gunzip + SHA-256 of the same bundle bytes, and peak memory.
    for (const kind of ['random', 'text']) {
      const folder = at(`big-${kind}`);
      const bundle = at(`big-${kind}.migseal`);
      log(`generating a ${BIG_MB} MB ${kind} file and packing it`);
      const largest = statSync(writeBigMigration(folder, BIG_MB, kind)).size;
      const packMs = cli('pack', folder, '--project', 'bench', '--release', '1', '--key', at('release.key'), '--out', bundle);
      rmSync(folder, { recursive: true, force: true });
      log(`verifying the ${kind} bundle (packed in ${formatMs(packMs)})`);
      const ours = [];
      const base = [];
      let peak = 0;
      let how = '';
      for (let i = 0; i < RUNS; i++) {
        const measured = peakRss(BIN, ['verify', bundle, '--trust', policy], { tmp, cwd: tmp });
        ours.push(measured.ms);
        peak = Math.max(peak, measured.bytes);
        how = measured.how;
        base.push(shell(`gzip -dc ${JSON.stringify(bundle)} | sha256sum > /dev/null`, { cwd: tmp }));
      }
      const [oursMs, baseMs] = [median(ours), median(base)];
      const size = statSync(bundle).size;
      rows.push([`verify ${BIG_MB} MB ${kind} (${formatMb(size)} gz)`, formatMs(oursMs), formatMs(baseMs), ratio(oursMs, baseMs), 'gzip -dc | sha256sum']);
      const budget = 2 * largest + 100 * 1024 ** 2;
      rows.push([`  peak memory (${how})`, formatMb(peak), formatMb(budget), ratio(peak, budget), '2 x largest file + 100 MB']);
      targets.push({ target: `verify ${BIG_MB} MB ${kind} <= 1.2x gzip -dc | sha256sum`, value: ratio(oursMs, baseMs), met: oursMs <= 1.2 * baseMs });
      targets.push({ target: `peak memory verifying ${BIG_MB} MB ${kind} < 2 x largest + 100 MB`, value: `${formatMb(peak)} of ${formatMb(budget)}`, met: peak < budget });
      rmSync(bundle, { force: true });
    }

  }

  if (ONLY.has('startup')) {
    // Start-up: --version and verifying 1,000 migrations, beside a bare node.
    log('packing 1,000 migrations and measuring start-up');
    writeMigrations(at('m1000'), 1000);
    cli('pack', at('m1000'), '--project', 'bench', '--release', '1', '--key', at('release.key'), '--out', at('m1000.migseal'));
    const startup = startupTimes(
      [
        [NODE, '-e', '0'],
        [NODE, BIN, '--version'],
        [NODE, BIN, 'verify', at('m1000.migseal'), '--trust', policy],
      ],
      { runs: STARTUP_RUNS, tmp, cwd: tmp },
    );
    const [bare, version, verify1000] = startup.medians;
    rows.push(['migseal --version', formatMs(version), formatMs(bare), `+${formatMs(version - bare)}`, `node -e 0 (${startup.how})`]);
    rows.push(['verify 1,000 migrations', formatMs(verify1000), formatMs(bare), `+${formatMs(verify1000 - bare)}`, `node -e 0 (${startup.how})`]);
    targets.push({ target: 'verify 1,000 migrations within 60 ms of node -e 0', value: `+${formatMs(verify1000 - bare)}`, met: verify1000 - bare <= 60 });

  }

  console.log(table(rows));
  console.log('\nTargets');
  console.log(table([['target', 'measured', 'met'], ...targets.map((t) => [t.target, t.value, t.met ? 'yes' : 'NO'])]));
  const missed = targets.filter((t) => !t.met).length;
  console.log(`\n${targets.length - missed} of ${targets.length} targets met.`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
