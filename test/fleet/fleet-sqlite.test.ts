/**
 * apply --targets on SQLite files, through the CLI with real keys: the canary, the wave stop
 * rule and the re-run that finishes, two shards at once, a dirty target, a tampered bundle,
 * and what the report and the audit log say.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, realpathSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir } from '../helpers/fixtures.js';
import { codeOf, createWorld, dumpSqlite, rows, V1, type RunnerWorld } from '../helpers/runner-world.js';
import { BIN, type CliResult } from '../helpers/cli.js';

let world: RunnerWorld;
let bundle: string;
let dirtyBundle: string;
let fleetNo = 0;

beforeAll(async () => {
  world = createWorld('migseal-fleet-');
  bundle = await world.bundle('v1', V1);
  // 3 manages its own transaction, so it runs outside migseal's: where `poison` already exists it fails after its COMMIT, dirty.
  dirtyBundle = await world.bundle('dirty', { ...V1, '3_own_tx.up.sql': 'BEGIN;\nCREATE TABLE audit_trail (id INTEGER);\nCOMMIT;\nCREATE TABLE poison (id INTEGER);\n' });
});
afterAll(() => removeDir(world.dir));

interface Fleet {
  file: string;
  names: string[];
  db: (name: string) => string;
}

/** n SQLite targets in a fresh folder, listed in a JSON targets file. */
function fleet(n: number): Fleet {
  const folder = `fleet-${fleetNo++}`;
  const names = Array.from({ length: n }, (_, i) => `tenant-${i}`);
  const file = join(world.dir, `${folder}.json`);
  writeFileSync(file, JSON.stringify(names.map((name) => ({ name, db: `sqlite:${folder}/${name}.db` }))));
  mkdirSync(join(world.dir, folder));
  return { file, names, db: (name) => join(world.dir, folder, `${name}.db`) };
}

/** Makes a target fail its first migration: it already has a `users` table. */
function occupy(path: string, table = 'users'): void {
  const db = new Database(path);
  db.exec(`CREATE TABLE ${table} (x INTEGER)`);
  db.close();
}

const applyFleet = (b: string, f: Fleet, ...extra: string[]) => world.cli(['apply', b, '--trust', world.policy, '--targets', f.file, '--json', ...extra]);
const report = (r: CliResult) => JSON.parse(r.stdout) as { ok: boolean; code?: string; message?: string; summary: Record<string, number>; rolloutId: string; targets: Array<{ name: string; outcome: string; wave: number; applied: string[]; error: { code: string; message: string } | null }> };
const outcomes = (r: CliResult) => Object.fromEntries(report(r).targets.map((t) => [t.name, t.outcome]));
const applied = (path: string) => rows(path, "SELECT version FROM migseal_migrations WHERE state = 'applied' ORDER BY version").map((r) => r.version);
const auditOf = (rolloutId: string) =>
  readFileSync(join(world.dir, 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.rolloutId === rolloutId);

describe('apply --targets on SQLite', () => {
  it('a failing canary stops everything else: no other target is opened', async () => {
    const f = fleet(5);
    occupy(f.db('tenant-0'));
    const r = await applyFleet(bundle, f, '--wave', '2');
    expect(r.code).toBe(3);
    expect(codeOf(r)).toBe('FLEET_INCOMPLETE');
    expect(report(r).message).toMatch(/the canary failed, so no other target was started/);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'FLEET_INCOMPLETE', exitCode: 3, message: report(r).message }, bundle: { path: bundle, project: 'shop', release: '1', verified: true } });
    expect(outcomes(r)).toEqual({ 'tenant-0': 'failed', 'tenant-1': 'not-started', 'tenant-2': 'not-started', 'tenant-3': 'not-started', 'tenant-4': 'not-started' });
    expect(report(r).targets[0]!.error!.code).toBe('MIGRATION_FAILED');
    for (const name of f.names.slice(1)) expect(dumpSqlite(f.db(name)), name).toBe('');
    // One record for the rollout, and the failed canary's own.
    const audit = auditOf(report(r).rolloutId);
    expect(audit.filter((a) => a.event === 'rollout')).toMatchObject([{ outcome: 'incomplete', summary: { failed: 1, notStarted: 4 } }]);
    expect(audit.filter((a) => a.event === 'apply').map((a) => [a.target, a.outcome])).toEqual([
      ['tenant-0', 'started'],
      ['tenant-0', 'failed'],
    ]);
  });

  it('a failure in the second wave lets that wave finish and starts no later one; the re-run skips what is up to date and finishes', async () => {
    const f = fleet(7);
    // Waves: [0] (canary), [1, 2], [3, 4], [5, 6]; 3 fails.
    occupy(f.db('tenant-3'));
    const first = await applyFleet(bundle, f, '--canary', '1', '--wave', '2', '--parallel', '2');
    expect(first.code).toBe(3);
    expect(outcomes(first)).toEqual({ 'tenant-0': 'applied', 'tenant-1': 'applied', 'tenant-2': 'applied', 'tenant-3': 'failed', 'tenant-4': 'applied', 'tenant-5': 'not-started', 'tenant-6': 'not-started' });
    expect(report(first).targets.map((t) => t.wave)).toEqual([1, 2, 2, 3, 3, 4, 4]);
    expect(report(first).message).toMatch(/1 failed \(tenant-3: MIGRATION_FAILED\), 2 not started; the rollout stopped after wave 3/);
    expect(dumpSqlite(f.db('tenant-5'))).toBe('');

    unlinkSync(f.db('tenant-3'));
    const again = await applyFleet(bundle, f, '--canary', '1', '--wave', '2', '--parallel', '2', '--report', 'rollout.json');
    expect(again.code, again.stderr).toBe(0);
    expect(outcomes(again)).toEqual({ 'tenant-0': 'up-to-date', 'tenant-1': 'up-to-date', 'tenant-2': 'up-to-date', 'tenant-3': 'applied', 'tenant-4': 'up-to-date', 'tenant-5': 'applied', 'tenant-6': 'applied' });
    expect(report(again)).toMatchObject({ ok: true, summary: { targets: 7, applied: 3, upToDate: 4, failed: 0, notStarted: 0 } });
    for (const name of f.names) expect(applied(f.db(name)), name).toEqual(['1', '2']);
    // Each database ran the release once: the skipped ones recorded no second run.
    for (const name of f.names) expect(rows(f.db(name), 'SELECT count(*) AS n FROM migseal_runs')[0]!.n, name).toBe(1);
    expect(JSON.parse(readFileSync(join(world.dir, 'rollout.json'), 'utf8'))).toEqual(report(again));
    const audit = auditOf(report(again).rolloutId);
    expect(audit.filter((a) => a.event === 'rollout')).toMatchObject([{ outcome: 'complete' }]);
    expect(audit.filter((a) => a.event === 'apply' && a.outcome !== 'started').map((a) => a.outcome).sort()).toEqual(['applied', 'applied', 'applied', 'up-to-date', 'up-to-date', 'up-to-date', 'up-to-date']);
  });

  it('a target that fails after its backup names it in its failed audit record and its report entry, as its started record does', async () => {
    const f = fleet(2);
    occupy(f.db('tenant-0'));
    const dir = join(world.dir, 'failed-backups');
    const r = await applyFleet(bundle, f, '--backup', dir);
    expect(r.code).toBe(3);
    const [canary, other] = report(r).targets as unknown as Array<{ outcome: string; backup: { path: string; bytes: number; sha256: string } | null }>;
    expect([canary!.outcome, other!.outcome, other!.backup]).toEqual(['failed', 'not-started', null]);
    const { path } = canary!.backup!;
    expect(path.startsWith(join(dir, 'tenant-0-'))).toBe(true);
    expect(canary!.backup).toEqual({ path, bytes: statSync(path).size, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') });
    const audit = auditOf(report(r).rolloutId).filter((a) => a.event === 'apply');
    expect(audit.map((a) => a.outcome)).toEqual(['started', 'failed']);
    const { runId: _runId, ...taken } = audit[0]!.backup as Record<string, unknown>;
    expect(audit[1]).toMatchObject({ target: 'tenant-0', code: 'MIGRATION_FAILED', backup: { path, bytes: canary!.backup!.bytes, sha256: canary!.backup!.sha256 } });
    expect(audit[1]!.backup).toEqual(taken);
  });

  it('shows the rollout as text: every target, its wave and outcome, the backup a failed one took, and the summary', async () => {
    const f = fleet(3);
    occupy(f.db('tenant-2'));
    const r = await world.cli(['apply', bundle, '--trust', world.policy, '--targets', f.file, '--wave', '5', '--backup', 'text-backups']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/verified shop release 1 \(sha256:[0-9a-f]{16}…\) for environment "default", once, in \d+ ms/);
    expect(r.stdout).toMatch(/rollout of 3 targets: canary 1, then waves of 5, 4 at once/);
    expect(r.stdout).toMatch(/ {2}tenant-0 +wave 1 +applied 2 migrations +\d+ ms/);
    expect(r.stdout).toMatch(/ {2}tenant-2 +wave 2 +FAILED MIGRATION_FAILED: Migration 1 \(create_users\) failed: table users already exists/);
    expect(r.stdout).toMatch(/ {2}tenant-2 +wave 2 +FAILED MIGRATION_FAILED: .*\n {2} +backed up first to \/.*\/text-backups\/tenant-2-\d{8}T\d{6}Z-[0-9a-f]{8}\.sqlite\n/);
    expect(r.stdout).toMatch(/3 targets in \d+ ms: 2 applied, 0 already up to date, 1 failed, 0 not started\nNot every target is up to date/);
  });

  it('two shards run at once cover every target exactly once', async () => {
    const f = fleet(12);
    const [one, two] = await Promise.all([applyFleet(bundle, f, '--shard', '1/2', '--wave', '3'), applyFleet(bundle, f, '--shard', '2/2', '--wave', '3')]);
    expect([one.code, two.code], one.stderr + two.stderr).toEqual([0, 0]);
    const a = report(one).targets.map((t) => t.name);
    const b = report(two).targets.map((t) => t.name);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect(a.filter((n) => b.includes(n))).toEqual([]);
    expect([...a, ...b].sort()).toEqual([...f.names].sort());
    expect(JSON.parse(one.stdout).rollout).toMatchObject({ shard: '1/2', targetsInFile: 12 });
    for (const name of f.names) expect(rows(f.db(name), 'SELECT count(*) AS n FROM migseal_runs')[0]!.n, name).toBe(1);
  });

  it('a target left dirty is named by the report and the exit code, and refused on the next run', async () => {
    const f = fleet(4);
    occupy(f.db('tenant-3'), 'poison');
    const first = await applyFleet(dirtyBundle, f, '--wave', '3');
    expect(first.code).toBe(3);
    expect(report(first).targets.find((t) => t.name === 'tenant-3')!.error).toMatchObject({ code: 'MIGRATION_FAILED', message: expect.stringMatching(/is marked dirty until migseal resolve --version 3/) });
    const again = await applyFleet(dirtyBundle, f, '--wave', '3');
    expect(again.code).toBe(3);
    expect(codeOf(again)).toBe('FLEET_INCOMPLETE');
    expect(report(again).message).toMatch(/1 failed \(tenant-3: DATABASE_DIRTY\)/);
    expect(outcomes(again)).toEqual({ 'tenant-0': 'up-to-date', 'tenant-1': 'up-to-date', 'tenant-2': 'up-to-date', 'tenant-3': 'failed' });
    expect(report(again).targets[3]!.error!.message).toMatch(/is dirty: migration 3 \(own_tx\)/);
  });

  it('--backup DIR: each target backed up before its first statement, to a file named after the target, in the report and the audit log', async () => {
    // Two databases of one file name (shop.db) in two folders, and a third with data of its own.
    const folder = `fleet-${fleetNo++}`;
    const targets = [
      { name: 'eu-1', db: `sqlite:${folder}/eu/shop.db` },
      { name: 'us-1', db: `sqlite:${folder}/us/shop.db` },
      { name: 'edge-7', db: `sqlite:${folder}/edge.db` },
    ];
    for (const sub of ['eu', 'us']) mkdirSync(join(world.dir, folder, sub), { recursive: true });
    const path = (i: number) => join(world.dir, targets[i]!.db.slice('sqlite:'.length));
    occupy(path(2), 'notes');
    const file = join(world.dir, `${folder}.json`);
    writeFileSync(file, JSON.stringify(targets));
    const f: Fleet = { file, names: targets.map((t) => t.name), db: (name) => path(targets.findIndex((t) => t.name === name)) };
    const before = dumpSqlite(path(2));
    const dir = join(world.dir, `${folder}-backups`);
    const r = await applyFleet(bundle, f, '--backup', dir, '--wave', '3');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { rolloutId: string; targets: Array<{ name: string; backup: { path: string; bytes: number; sha256: string } | null }> };
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(6);
    expect(files.filter((n) => n.endsWith('.sqlite')).map((n) => n.replace(/-\d{8}T\d{6}Z-[0-9a-f]{8}\.sqlite$/, ''))).toEqual(['edge-7', 'eu-1', 'us-1']);
    for (const [i, t] of json.targets.entries()) {
      expect(t.backup!.path.startsWith(join(dir, `${targets[i]!.name}-`)), t.name).toBe(true);
      expect(createHash('sha256').update(readFileSync(t.backup!.path)).digest('hex')).toBe(t.backup!.sha256);
      expect(statSync(t.backup!.path).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(`${t.backup!.path}.json`, 'utf8'))).toMatchObject({ kind: 'migseal-backup', database: `sqlite:${path(i)}`, sha256: t.backup!.sha256 });
    }
    // Each copy is its database as the run found it: the third one's own table, nothing of the release.
    expect(dumpSqlite(json.targets[2]!.backup!.path)).toBe(before);
    expect(rows(json.targets[0]!.backup!.path, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'users'")).toEqual([{ n: 0 }]);
    expect(applied(path(0))).toEqual(['1', '2']);
    const audit = auditOf(json.rolloutId).filter((a) => a.event === 'apply' && a.outcome === 'applied');
    expect(audit.map((a) => [a.target, (a.backup as { path: string }).path])).toEqual(json.targets.map((t) => [t.name, t.backup!.path]));
    // Up to date: no run, so no backup.
    const again = await applyFleet(bundle, f, '--backup', dir);
    expect(report(again).summary).toMatchObject({ upToDate: 3 });
    expect(readdirSync(dir)).toHaveLength(6);
    expect((JSON.parse(again.stdout) as { targets: Array<{ backup: unknown }> }).targets.map((t) => t.backup)).toEqual([null, null, null]);
  });

  it('a tampered bundle is refused before any target is touched', async () => {
    const f = fleet(3);
    occupy(f.db('tenant-1'), 'keep');
    const before = f.names.map((n) => dumpSqlite(f.db(n)));
    const bytes = readFileSync(bundle);
    const tampered = join(world.dir, 'tampered.migseal');
    // A byte inside the gzip stream: the archive, a file or the manifest no longer matches.
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    writeFileSync(tampered, bytes);
    const r = await applyFleet(tampered, f, '--report', 'refused.json');
    expect(r.code).toBe(2);
    expect(JSON.parse(readFileSync(join(world.dir, 'refused.json'), 'utf8'))).toMatchObject({ ok: false, error: { code: codeOf(r), exitCode: 2 }, targets: [] });
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, exitCode: 2 });
    expect(r.stderr).toMatch(/^migseal: refused: /);
    expect(f.names.map((n) => dumpSqlite(f.db(n)))).toEqual(before);
    const log = readFileSync(join(world.dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(log.at(-1)).toMatchObject({ event: 'refusal', command: 'apply', outcome: 'refused', code: codeOf(r) });
    expect(log.filter((a) => a.bundle === tampered && a.event === 'apply')).toEqual([]);
  });

  it('plan --targets shows each target, changing nothing', async () => {
    const f = fleet(3);
    await applyFleet(bundle, f, '--shard', '1/1');
    const newer = await world.bundle('v2', { ...V1, '3_more.up.sql': 'CREATE TABLE more (id INTEGER);\n' }, { release: '2' });
    occupy(f.db('tenant-2'), 'more');
    unlinkSync(f.db('tenant-1'));
    const before = f.names.map((n) => dumpSqlite(f.db(n)));
    const r = await world.cli(['plan', newer, '--trust', world.policy, '--targets', f.file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/tenant-0 +would apply 1 migration \(3\), 2 already applied/);
    expect(r.stdout).toMatch(/tenant-1 +would apply 3 migrations \(1, 2, 3\)/);
    expect(r.stdout).toMatch(/3 targets: 3 would apply, 0 up to date, 0 would refuse, 0 unavailable/);
    expect(f.names.map((n) => dumpSqlite(f.db(n)))).toEqual(before);
    // Release 2 on tenant-0: planning release 1 there is a rollback, which apply would refuse.
    expect((await world.cli(['apply', newer, '--trust', world.policy, '--db', `sqlite:${f.db('tenant-0')}`])).code).toBe(0);
    const refused = await world.cli(['plan', bundle, '--trust', world.policy, '--targets', f.file, '--json']);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, error: { code: 'RELEASE_ROLLBACK', exitCode: 2, message: expect.stringMatching(/^tenant-0: /) }, summary: { targets: 3, wouldApply: 1, upToDate: 1, wouldRefuse: 1 } });
    expect(JSON.parse(refused.stdout).targets[0]).toMatchObject({ name: 'tenant-0', outcome: 'would-refuse', refusal: { code: 'RELEASE_ROLLBACK' } });
  });

  it('refuses a targets file with a password in a URL, and --db beside --targets, before verifying anything', async () => {
    const file = join(world.dir, 'secret-targets.txt');
    writeFileSync(file, 'tenant-1 postgres://deploy:hunter2@db/t1\n');
    const r = await world.cli(['apply', bundle, '--trust', world.policy, '--targets', file, '--json']);
    expect(r.code).toBe(1);
    expect(codeOf(r)).toBe('TARGETS_INVALID');
    expect(r.stdout + r.stderr).not.toContain('hunter2');
    const both = await world.cli(['apply', bundle, '--trust', world.policy, '--targets', file, '--db', 'sqlite:x.db']);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/either one database with --db or a fleet with --targets/);
    const lone = await world.cli(['apply', bundle, '--trust', world.policy, '--db', 'sqlite:x.db', '--wave', '3']);
    expect(lone.stderr).toMatch(/--wave goes with --targets FILE/);
  });
});

describe('the audit log of a rollout', () => {
  it('is synced once a target, not twice: a target\'s outcome is made durable by the next record that syncs, and the result is printed after the last sync', async () => {
    const f = fleet(4);
    const log = join(world.dir, `audit-sync-${fleetNo}.jsonl`);
    const trace = join(world.dir, `strace-${fleetNo}.txt`);
    // strace: every fsync and write, with the file each descriptor is open on, in the order they happened.
    const r = spawnSync('strace', ['-f', '-qq', '-y', '-s', '64', '-e', 'trace=fsync,fdatasync,write', '-o', trace, process.execPath, BIN, 'apply', bundle, '--trust', world.policy, '--targets', f.file, '--json', '--parallel', '1'], {
      cwd: world.dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, MIGSEAL_AUDIT_LOG: log },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(Object.values(outcomes({ code: 0, stdout: r.stdout, stderr: r.stderr }))).toEqual(['applied', 'applied', 'applied', 'applied']);
    // Each target: "started" (synced before its first statement) and "applied"; then the rollout's record.
    const records = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { outcome: string });
    expect(records.map((x) => x.outcome)).toEqual(['started', 'applied', 'started', 'applied', 'started', 'applied', 'started', 'applied', 'complete']);
    const calls = readFileSync(trace, 'utf8').split('\n');
    const onLog = `<${realpathSync(log)}>`;
    const isSync = (l: string) => /\bf(?:data)?sync\(\d+</.test(l) && l.includes(onLog);
    const isWrite = (l: string) => /\bwrite\(\d+</.test(l) && l.includes(onLog);
    expect(calls.filter(isWrite)).toHaveLength(records.length);
    // One sync a target (its "started" record, which also makes the target before it durable) and the rollout's: 5, where
    // syncing every record took 9. A target whose next one takes longer than a second to start is synced on its own then.
    const syncs = calls.filter(isSync).length;
    expect(syncs).toBeGreaterThanOrEqual(f.names.length + 1);
    expect(syncs).toBeLessThan(2 * f.names.length);
    // The result (stdout) is written after the log's last write and a sync after it: everything it reports is durable.
    const lastWrite = calls.findLastIndex(isWrite);
    const lastSync = calls.findLastIndex(isSync);
    const printed = calls.findIndex((l) => /\bwrite\(1</.test(l));
    expect(lastWrite).toBeLessThan(lastSync);
    expect(lastSync).toBeLessThan(printed);
  });
});
