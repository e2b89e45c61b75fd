/**
 * The audit page as a person sees it: rendered by headless Chromium from a real report (real
 * signed bundles, a real SQLite database with a drifted and a pending migration), checked
 * as pixels and as the rendered DOM. Set MIGSEAL_UPDATE_SCREENSHOT=1 to refresh docs/audit-report.png.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir } from '../helpers/fixtures.js';
import { countColour, decodePng } from '../helpers/png.js';
import { COMMIT, REPOSITORY, WORKFLOW, makeAuditWorld, tamperedCopy, type AuditWorld } from './world.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const installed = existsSync(CHROMIUM);
if (!installed) console.warn(`screenshot tests skipped: ${CHROMIUM} is not installed (apt-get install chromium; CI installs it)`);

const WIDTH = 1280;
const HEIGHT = 3000;
const DOCS_PICTURE = fileURLToPath(new URL('../../docs/audit-report.png', import.meta.url));

/** Runs headless Chromium with a fresh profile and no background networking; resolves with stdout. */
function chromium(args: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'migseal-chromium-'));
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars', `--user-data-dir=${profile}`];
  return new Promise((resolve, reject) => {
    const child = spawn(CHROMIUM, [...flags, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      rmSync(profile, { recursive: true, force: true });
      if (code === 0) resolve(stdout);
      else reject(new Error(`chromium exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

let world: AuditWorld;

describe.skipIf(!installed)('the audit page in headless Chromium', () => {
  beforeAll(async () => {
    world = await makeAuditWorld();
  });
  afterAll(() => world && removeDir(world.dir));

  it('renders the verified report with its banner, badges, provenance and tables, and not blank', async () => {
    const html = join(world.dir, 'audit.html');
    // Production requires the provenance that release 2, packed in GitHub Actions, carries.
    const result = await world.audit([world.release2, '--trust', world.provenancePolicy, '--env', 'production', '--db', world.db, '--html', html], { SOURCE_DATE_EPOCH: '1767225600' });
    expect(result.code, result.stderr).toBe(0);
    const png = join(world.dir, 'audit.png');
    await chromium([`--window-size=${WIDTH},${HEIGHT}`, `--screenshot=${png}`, pathToFileURL(html).href]);
    const image = decodePng(readFileSync(png));
    expect([image.width, image.height]).toEqual([WIDTH, HEIGHT]);
    const white = countColour(image, [255, 255, 255], 2);
    const total = WIDTH * HEIGHT;
    // Text, rules, cards and zebra rows cover a real share of the page, and the styles applied:
    // the verified banner's green, the drift badge's red and the pending badge's amber are painted.
    expect(total - white).toBeGreaterThan(total * 0.08);
    expect(countColour(image, [0xe5, 0xf5, 0xea])).toBeGreaterThan(30_000);
    expect(countColour(image, [0xfd, 0xec, 0xeb])).toBeGreaterThan(150);
    expect(countColour(image, [0xff, 0xf4, 0xd6])).toBeGreaterThan(150);
    expect(countColour(image, [0xf6, 0xf8, 0xfb])).toBeGreaterThan(20_000);
    if (process.env.MIGSEAL_UPDATE_SCREENSHOT) copyFileSync(png, DOCS_PICTURE);

    const dom = await chromium(['--dump-dom', pathToFileURL(html).href]);
    for (const text of ['shop release 2', 'VERIFIED ✓', 'DRIFT', 'pending', 'create_orders', 'index_orders', 'destructive/drop-column', 'Provenance', 'release (release)', WORKFLOW, REPOSITORY, COMMIT, 'environment "production" requires', '>met</span>']) {
      expect(dom).toContain(text);
    }
    expect(dom).not.toMatch(/<script/i);
  });

  it('renders a refused bundle with the refusal banner across the page', async () => {
    const bad = await tamperedCopy(world.release2, join(world.dir, 'tampered.migseal'));
    const html = join(world.dir, 'refused.html');
    expect((await world.audit([bad, '--trust', world.policy, '--html', html])).code).toBe(2);
    const png = join(world.dir, 'refused.png');
    await chromium([`--window-size=${WIDTH},900`, `--screenshot=${png}`, pathToFileURL(html).href]);
    const image = decodePng(readFileSync(png));
    expect([image.width, image.height]).toEqual([WIDTH, 900]);
    expect(countColour(image, [0xfd, 0xec, 0xeb])).toBeGreaterThan(50_000);
    expect(countColour(image, [0xe5, 0xf5, 0xea])).toBeLessThan(5_000);
    const dom = await chromium(['--dump-dom', pathToFileURL(html).href]);
    expect(dom).toMatch(/REFUSED:<\/strong> [^<]+ \(FILE_DIGEST_MISMATCH\)/);
  });
});
