/**
 * One --json shape on every command that has --json (README "JSON output"): `ok` is a boolean;
 * a failure or refusal carries `error` {code, message, exitCode} matching the exit code; a
 * command that touched a database names it as `database`, one that read a bundle describes it
 * as `bundle` {path, digest, project, release, commit, verified}, and the migrations a command is
 * about are `migrations` [{version, name}]. Each command runs once as it should and once refused.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/table.js';
import { removeDir, writeMigrations } from '../helpers/fixtures.js';
import { createWorld, V1, V2, type RunnerWorld } from '../helpers/runner-world.js';

let world: RunnerWorld;
let v1: string;
let v2: string;
let db: string;
let folder: string;
const at = (name: string) => join(world.dir, name);
type Doc = Record<string, unknown>;

beforeAll(async () => {
  world = createWorld('migseal-json-');
  v1 = await world.bundle('v1', V1);
  v2 = await world.bundle('v2', V2, { release: '2' });
  db = at('shop.sqlite');
  folder = writeMigrations(at('folder'), V1);
});
afterAll(() => removeDir(world.dir));

async function json(args: string[]): Promise<{ code: number; doc: Doc }> {
  const end = args.indexOf('--');
  const withJson = end < 0 ? [...args, '--json'] : [...args.slice(0, end), '--json', ...args.slice(end)];
  const result = await world.cli(withJson);
  return { code: result.code, doc: JSON.parse(result.stdout) as Doc };
}

function expectShape(command: string, { code, doc }: { code: number; doc: Doc }): void {
  expect(typeof doc.ok, command).toBe('boolean');
  expect(doc.ok, command).toBe(code === 0);
  if (code === 0) expect(doc.error, command).toBeUndefined();
  else {
    expect(doc.error, command).toMatchObject({ code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String), exitCode: code });
    // Failures kept their fields from before `error` (code, message, exitCode) at the top level too.
    if (doc.code !== undefined) expect(doc.code, command).toBe((doc.error as Doc).code);
  }
  if (doc.bundle !== undefined && typeof doc.bundle === 'object' && code === 0) {
    expect(doc.bundle, command).toMatchObject({ digest: expect.stringMatching(/^[0-9a-f]{64}$/), project: 'shop', release: expect.any(String), verified: expect.any(Boolean) });
    expect(doc.bundle, command).toHaveProperty('commit');
    expect(doc.bundle, command).toHaveProperty('path');
  }
  if (doc.migrations !== undefined && Array.isArray(doc.migrations)) {
    for (const m of doc.migrations as Doc[]) expect(m, command).toMatchObject({ version: expect.any(String), name: expect.any(String) });
  }
}

const trust = () => ['--trust', world.policy];
const onDb = () => ['--db', `sqlite:${db}`];

// The two runs below start about 25 CLI processes each, one after another: a busy machine can take minutes over
// them, and the default 60 s is for a test that hangs.
const LONG = 240_000;

describe('--json has one shape on every command', () => {
  it('every command that has --json is covered here', () => {
    const covered = ['keys generate', 'pack', 'sign', 'lint', 'inspect', 'diff', 'verify', 'plan', 'apply', 'status', 'history', 'drift', 'rollback', 'resolve', 'audit', 'audit-log verify', 'exec', 'ca init', 'ca issue', 'trust init', 'trust check', 'adopt', 'rehearse', 'restore'];
    expect(Object.entries(COMMANDS).filter(([, spec]) => spec.flags.json).map(([name]) => name).sort()).toEqual([...covered].sort());
  });

  it('a run as it should be: ok true, the bundle, the database and the migrations named alike', async () => {
    const runs: Array<[string, string[]]> = [
      ['keys generate', ['keys', 'generate', '--out', at('k1')]],
      ['pack', ['pack', folder, '--project', 'shop', '--release', '1', '--out', at('packed.migseal'), '--key', world.release.privatePath]],
      ['sign', ['sign', at('packed.migseal'), '--key', world.approver.privatePath, '--role', 'approve']],
      ['lint', ['lint', folder]],
      ['inspect', ['inspect', v1]],
      ['diff', ['diff', v1, v2]],
      ['verify', ['verify', v1, ...trust()]],
      ['plan', ['plan', v1, ...trust(), ...onDb()]],
      ['apply', ['apply', v1, ...trust(), ...onDb(), '--backup', at('backups')]],
      ['status', ['status', ...onDb(), '--bundle', v1]],
      ['history', ['history', ...onDb()]],
      ['drift', ['drift', ...onDb()]],
      ['rollback', ['rollback', v1, ...trust(), ...onDb(), '--to', '1', '--yes']],
      ['resolve', ['resolve', ...onDb(), '--version', '2', '--as', 'applied', '--reason', 'checked by hand', '--force']],
      ['audit', ['audit', v1, ...trust(), ...onDb()]],
      ['audit-log verify', ['audit-log', 'verify', at('audit.jsonl')]],
      ['exec', ['exec', v1, ...trust(), '--', 'true', '{dir}']],
      ['ca init', ['ca', 'init', '--out', at('ca')]],
      ['ca issue', ['ca', 'issue', '--ca', at('ca'), '--identity', 'ci@example.com', '--issuer', 'https://issuer.example', '--out', at('ci')]],
      ['trust init', ['trust', 'init', '--project', 'shop', '--key', world.release.publicPath, '--out', at('trust-2.json')]],
      ['trust check', ['trust', 'check', world.policy]],
      ['rehearse', ['rehearse', v1, ...trust(), '--db', `sqlite:${at('scratch.sqlite')}`]],
    ];
    const docs: Record<string, Doc> = {};
    for (const [name, args] of runs) {
      const run = await json(args);
      expect({ name, code: run.code }, JSON.stringify(run.doc)).toEqual({ name, code: 0 });
      expectShape(name, run);
      docs[name] = run.doc;
    }
    for (const name of ['plan', 'apply', 'status', 'history', 'drift', 'rollback', 'resolve']) expect(docs[name]!.database, name).toBe(`sqlite:${db}`);
    for (const name of ['verify', 'plan', 'apply', 'rollback', 'exec', 'audit', 'rehearse']) expect(docs[name]!.bundle, name).toMatchObject({ path: v1, project: 'shop', release: '1', verified: true });
    for (const name of ['inspect', 'pack', 'status']) expect(docs[name]!.bundle, name).toMatchObject({ project: 'shop', release: '1', verified: false });
    // diff: both sides bundle-shaped under their old keys, and NEW as the bundle.
    expect(docs.diff).toMatchObject({ old: { path: v1, release: '1', commit: null, verified: false }, new: { path: v2, release: '2', commit: null, verified: false }, bundle: { path: v2, release: '2' } });
    expect((docs.diff!.old as Doc).digest).toBe(docs.verify!.digest);
    expect((docs.apply!.migrations as Doc[]).map((m) => m.version)).toEqual(['1', '2']);
    const restored = await json(['restore', (docs.apply!.backup as Doc).path as string, '--db', `sqlite:${at('restored.sqlite')}`]);
    expect(restored.code, JSON.stringify(restored.doc)).toBe(0);
    expectShape('restore', restored);
    expect(restored.doc.database).toBe(`sqlite:${at('restored.sqlite')}`);
    expect((docs.rollback!.migrations as Doc[]).map((m) => m.version)).toEqual(['2']);
    expect((docs.verify!.migrations as Doc[]).map((m) => m.version)).toEqual(['1', '2']);

    // adopt: an empty golang-migrate table, taken over.
    const peer = at('peer.sqlite');
    const setup = new Database(peer);
    setup.exec('CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null)');
    setup.close();
    const adopt = await json(['adopt', v1, ...trust(), '--db', `sqlite:${peer}`, '--from', 'golang-migrate']);
    expect(adopt.code).toBe(0);
    expectShape('adopt', adopt);
    expect(adopt.doc).toMatchObject({ database: `sqlite:${peer}`, bundle: { path: v1, verified: true }, migrations: [] });
  }, LONG);

  it('a refusal or failure: ok false and error {code, message, exitCode}, on every command', async () => {
    const missing = at('no-such.migseal');
    const runs: Array<[string, string[], string]> = [
      ['keys generate', ['keys', 'generate', '--out', at('k1')], 'IO'],
      ['pack', ['pack', folder, '--project', 'shop', '--release', '1', '--out', at('packed.migseal'), '--key', world.release.privatePath], 'IO'],
      ['sign', ['sign', missing, '--key', world.approver.privatePath], 'IO'],
      ['lint', ['lint', at('no-such-folder')], 'IO'],
      ['inspect', ['inspect', missing], 'IO'],
      ['diff', ['diff', v1, await world.bundle('v2-changed', { ...V1, '2_create_orders.up.sql': 'CREATE TABLE orders (id INTEGER);\n' }, { release: '2' })], 'MIGRATION_CHANGED_AFTER_RELEASE'],
      ['verify', ['verify', v1, '--trust', at('no-such-trust.json')], 'IO'],
      ['plan', ['plan', await world.bundle('other', V1, { project: 'other' }), ...trust(), ...onDb()], 'WRONG_PROJECT'],
      ['apply', ['apply', v1, ...trust(), ...onDb(), '--to', '9'], 'USAGE'],
      ['status', ['status'], 'USAGE'],
      ['history', ['history'], 'USAGE'],
      ['drift', ['drift', '--accept', ...onDb()], 'USAGE'],
      ['rollback', ['rollback', v1, ...trust(), ...onDb(), '--to', '0'], 'USAGE'],
      ['resolve', ['resolve', ...onDb(), '--version', '1', '--as', 'applied', '--reason', 'r'], 'MIGRATION_NOT_RESOLVABLE'],
      ['audit', ['audit', missing], 'IO'],
      ['audit-log verify', ['audit-log', 'verify', at('no-such-log.jsonl')], 'IO'],
      ['exec', ['exec', missing, ...trust(), '--', 'true'], 'IO'],
      ['ca init', ['ca', 'init', '--out', at('ca')], 'IO'],
      ['ca issue', ['ca', 'issue', '--ca', at('no-such-ca'), '--identity', 'ci@example.com', '--issuer', 'https://issuer.example', '--out', at('ci2')], 'IO'],
      ['trust init', ['trust', 'init', '--project', 'shop', '--key', world.release.publicPath, '--out', at('trust-2.json')], 'IO'],
      ['trust check', ['trust', 'check', at('no-such-policy.json')], 'POLICY_INVALID'],
      ['adopt', ['adopt', v1, ...trust(), '--db', `sqlite:${at('plain.sqlite')}`, '--from', 'golang-migrate'], 'MIGRATION_UNKNOWN_APPLIED'],
      ['rehearse', ['rehearse', v1, ...trust()], 'USAGE'],
      ['restore', ['restore', missing, '--db', `sqlite:${at('restore-2.sqlite')}`], 'BACKUP_INVALID'],
    ];
    for (const [name, args, code] of runs) {
      const run = await json(args);
      expect({ name, code: run.code === 0 ? 'ran' : (run.doc.error as Doc | undefined)?.code }, JSON.stringify(run.doc)).toEqual({ name, code });
      expectShape(name, run);
    }
  }, LONG);
});
