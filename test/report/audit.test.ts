/** migseal audit through the real CLI: real signed bundles, a real SQLite database applied by migseal. */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir } from '../helpers/fixtures.js';
import { dumpSqlite } from '../helpers/runner-world.js';
import { HOSTILE, RELEASE_1, hostileBundle, hostileDatabase, makeAuditWorld, tamperedCopy, type AuditWorld } from './world.js';

let world: AuditWorld;
let n = 0;
const out = (ext: string) => join(world.dir, `report-${++n}.${ext}`);
const json = (stdout: string) => JSON.parse(stdout) as Record<string, any>;

beforeAll(async () => {
  world = await makeAuditWorld();
});
afterAll(() => removeDir(world.dir));

describe('migseal audit', () => {
  it('verifies with --trust and compares with the database: match, drift and pending, reading it only', async () => {
    const before = dumpSqlite(world.dbPath);
    const files = readdirSync(world.dir).sort();
    const html = out('html');
    const result = await world.audit([world.release2, '--trust', world.policy, '--db', world.db, '--html', html, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const facts = json(result.stdout);
    expect(facts).toMatchObject({ ok: true, format: 'migseal.audit/v1', verification: { outcome: 'verified', environment: 'default' }, html });
    expect(facts.release).toMatchObject({ trust: 'verified', project: 'shop', release: '2', filesMatch: true });
    expect(facts.signatures.signers.map((s: any) => [s.policyId, s.role]).sort()).toEqual([
      ['approver', 'approve'],
      ['release', 'release'],
    ]);
    expect(facts.signatures.signers.find((s: any) => s.role === 'release').keyId).toBe(world.release.keyId);
    expect(facts.migrations.map((m: any) => [m.version, m.trust, m.transactional])).toEqual([
      ['1', 'verified', true],
      ['2', 'verified', true],
      ['3', 'verified', true],
      ['4', 'verified', true],
    ]);
    expect(facts.migrations[0].up).toMatchObject({ path: '1_create_users.up.sql', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(facts.migrations[2].findings).toEqual([
      expect.objectContaining({ rule: 'destructive/drop-column', severity: 'error', line: 1, decision: expect.objectContaining({ action: 'approve' }) }),
    ]);
    const db = facts.database;
    expect(db.entries.map((e: any) => [e.version, e.comparison])).toEqual([
      ['1', 'match'],
      ['2', 'drift'],
      ['3', 'match'],
      ['4', 'pending'],
    ]);
    expect(db.counts).toEqual({ match: 2, drift: 1, pending: 1, dirty: 0, 'not-in-bundle': 0 });
    const drift = db.entries[1];
    expect(drift.applied.checksum).not.toBe(drift.bundleChecksum);
    expect(drift.applied).toMatchObject({ state: 'applied', release: '1', host: hostname(), environment: 'default', command: 'apply' });
    expect(db.entries[3].applied).toBeUndefined();
    expect(db.marker).toMatchObject({ project: 'shop', release: '1' });
    expect(db.runs).toEqual([expect.objectContaining({ command: 'apply', outcome: 'succeeded', release: '1' })]);

    const page = readFileSync(html, 'utf8');
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
    expect(page).toContain('VERIFIED ✓');
    expect(page).toContain(`sha256:${facts.release.digest}`);
    expect(page).toMatch(/badge bad">DRIFT</);
    expect(page).toMatch(/badge warn">pending</);
    // URLs appear as text (the provenance names its repository and run), but nothing is loaded or linked.
    expect(page).not.toMatch(/<script|<link|<img|<iframe|<a\s|\b(?:src|href|action)\s*=|@import|url\(/i);
    // Read-only: the database is byte-for-byte the same and the folder gained only the report.
    expect(dumpSqlite(world.dbPath)).toBe(before);
    expect(readdirSync(world.dir).sort()).toEqual([...files, `report-${n}.html`].sort());
  });

  it('without --trust marks everything as claimed and names no policy signer', async () => {
    const html = out('html');
    const result = await world.audit([world.release2, '--html', html, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const facts = json(result.stdout);
    expect(facts.verification).toEqual({ outcome: 'claimed' });
    expect([facts.release.trust, facts.provenance.trust, facts.signatures.trust, ...facts.migrations.map((m: any) => m.trust)]).toEqual(Array(7).fill('claimed'));
    expect(facts.signatures.signers).toHaveLength(2);
    expect(facts.signatures.signers.every((s: any) => s.policyId === undefined)).toBe(true);
    expect(facts.migrations[2].findings[0].decision).toBeUndefined();
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('CLAIMED, NOT VERIFIED.');
    expect(page).not.toContain('VERIFIED ✓');
  });

  it('still writes the page for a tampered bundle, with the refusal first, and exits 2', async () => {
    const bad = await tamperedCopy(world.release2, join(world.dir, 'tampered.migseal'));
    const html = out('html');
    const result = await world.audit([bad, '--trust', world.policy, '--db', world.db, '--html', html, '--json']);
    expect(result.code).toBe(2);
    const facts = json(result.stdout);
    expect(facts.ok).toBe(false);
    expect(facts.verification).toMatchObject({ outcome: 'refused', code: 'FILE_DIGEST_MISMATCH', exitCode: 2, environment: 'default' });
    expect(facts.release).toMatchObject({ trust: 'claimed', filesMatch: false });
    expect(facts.database.entries).toHaveLength(4);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/<div class="banner refused" role="alert"><strong>REFUSED:<\/strong> [^<]+ \(FILE_DIGEST_MISMATCH\)/);
    expect(page).not.toContain('VERIFIED ✓');

    const text = await world.audit([bad, '--trust', world.policy]);
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/^REFUSED: .+ \(FILE_DIGEST_MISMATCH\)$/m);
  });

  it('writes a refusal page even for bytes that are not a bundle', async () => {
    const garbage = join(world.dir, 'garbage.migseal');
    writeFileSync(garbage, 'not a gzip archive at all');
    const html = out('html');
    const result = await world.audit([garbage, '--trust', world.policy, '--html', html, '--json']);
    expect(result.code).toBe(2);
    const facts = json(result.stdout);
    expect(facts.verification).toMatchObject({ outcome: 'refused', code: 'ARCHIVE_MALFORMED' });
    expect(facts.release).toBeUndefined();
    expect(facts.migrations).toEqual([]);
    expect(readFileSync(html, 'utf8')).toContain('(ARCHIVE_MALFORMED)');
  });

  it('verifies for the environment --env names, and reports an unknown one as a refusal', async () => {
    const production = await world.audit([world.release1, '--trust', world.policy, '--env', 'production', '--json']);
    expect(production.code, production.stderr).toBe(0);
    expect(json(production.stdout).verification).toMatchObject({ outcome: 'verified', environment: 'production' });
    const unknown = await world.audit([world.release1, '--trust', world.policy, '--env', 'staging', '--json']);
    expect(unknown.code).toBe(2);
    expect(json(unknown.stdout).verification).toMatchObject({ outcome: 'refused', code: 'ENVIRONMENT_UNKNOWN', environment: 'staging' });
  });

  it('escapes hostile bundle and database content everywhere in the page', async () => {
    const bundle = await hostileBundle(world, join(world.dir, 'hostile.migseal'));
    const db = hostileDatabase(world, join(world.dir, 'hostile.sqlite'));
    const html = out('html');
    const result = await world.audit([bundle, '--trust', world.policy, '--db', db, '--html', html, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(json(result.stdout).migrations[0].name).toBe(HOSTILE.name);
    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<script|<img|<svg|<iframe|<\/td><script|onerror=alert\(2\)>/i);
    expect(page).toContain('&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(page).toContain('&lt;script&gt;alert(&#39;3&#39;)&lt;/script&gt;');
    expect(page).toContain('&lt;svg onload=alert(4)&gt;@evil');
    expect(page).toContain('&lt;/table&gt;&lt;iframe src=&quot;https://evil.example&quot;&gt;');
    // The page's own markup is unchanged: as many rows opened as closed.
    expect(page.split('<tr').length).toBe(page.split('</tr>').length);
  });

  it('lists applied migrations the bundle does not contain', async () => {
    const only1 = await world.bundle('only-1', { '1_create_users.up.sql': readFileSync(join(world.dir, 'src-shop-1-0', '1_create_users.up.sql'), 'utf8') }, { release: '3' });
    const result = await world.audit([only1, '--db', world.db, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(json(result.stdout).database.entries.map((e: any) => [e.version, e.comparison])).toEqual([
      ['1', 'match'],
      ['2', 'not-in-bundle'],
      ['3', 'not-in-bundle'],
    ]);
  });

  it('prints a text summary naming drift, and the same page for the same inputs under SOURCE_DATE_EPOCH', async () => {
    const text = await world.audit([world.release2, '--trust', world.policy, '--db', world.db]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^verified shop release 2 for environment "default"$/m);
    expect(text.stdout).toMatch(/2 match, 1 pending, 1 drift/);
    expect(text.stdout).toMatch(/^ {4}DRIFT 2 create_orders$/m);
    const [a, b] = [out('html'), out('html')];
    for (const html of [a, b]) expect((await world.audit([world.release2, '--trust', world.policy, '--db', world.db, '--html', html], { SOURCE_DATE_EPOCH: '1767225600' })).code).toBe(0);
    expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
    expect(readFileSync(a, 'utf8')).toContain('<time>2026-01-01T00:00:00.000Z</time> (from SOURCE_DATE_EPOCH)');
  });

  it('never creates a database, and refuses a password on the command line', async () => {
    const missing = join(world.dir, 'missing.sqlite');
    const result = await world.audit([world.release2, '--db', `sqlite:${missing}`, '--json']);
    expect(result.code).toBe(1);
    expect(json(result.stdout)).toMatchObject({ ok: false, code: 'IO' });
    expect(result.stderr).toMatch(/no such file/);
    expect(existsSync(missing)).toBe(false);
    expect(readdirSync(world.dir).filter((f) => f.startsWith('missing'))).toEqual([]);

    const secret = await world.audit([world.release2, '--db', 'postgres://ops:hunter2@db.internal/shop', '--json']);
    expect(secret.code).toBe(1);
    expect(json(secret.stdout).code).toBe('CREDENTIALS_ON_COMMAND_LINE');
    expect(secret.stdout + secret.stderr).not.toContain('hunter2');
  });

  it('verifies a release past its signed expiry and says it is stale, where verify and apply refuse it', async () => {
    const expired = await world.bundle('shop-expired', RELEASE_1, { expiresAt: '2021-01-01T00:00:00Z' });
    const html = out('html');
    const result = await world.audit([expired, '--trust', world.policy, '--db', world.db, '--html', html, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(json(result.stdout).verification).toEqual({ outcome: 'verified', environment: 'default', policy: world.policy, stale: 'The bundle expired at 2021-01-01T00:00:00Z.' });
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<strong>VERIFIED ✓</strong>');
    expect(page).toContain('<strong>STALE:</strong> The bundle expired at 2021-01-01T00:00:00Z. Hosts refuse to apply it (BUNDLE_EXPIRED)');
    expect((await world.audit([expired, '--trust', world.policy])).stdout).toMatch(/^verified shop release 1 for environment "default"\n {2}STALE {8}The bundle expired at 2021-01-01T00:00:00Z\. Hosts refuse to apply it \(BUNDLE_EXPIRED\)\./);
    // The hosts' commands stay strict.
    for (const command of ['verify', 'plan', 'apply']) {
      const refused = await world.cli([command, expired, '--trust', world.policy, ...(command === 'verify' ? [] : ['--db', world.db]), '--json']);
      expect({ command, code: refused.code, error: json(refused.stdout).code }).toEqual({ command, code: 2, error: 'BUNDLE_EXPIRED' });
    }
  });

  it('refuses --env without --trust', async () => {
    const result = await world.audit([world.release2, '--env', 'production', '--json']);
    expect(result.code).toBe(1);
    expect(json(result.stdout).code).toBe('USAGE');
  });
});
