/**
 * T4.14 on SQLite, through the CLI with real keys: a schema changed outside migseal after its
 * last run is named object by object by `drift`, refused by plan and apply where the policy
 * says refuse (the default where an approval is required), only reported where it says warn,
 * and accepted as intended with a recorded reason. The recorded fingerprint cannot be
 * rewritten to hide the change.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir } from '../helpers/fixtures.js';
import { codeOf, createWorld, execSqlite, dumpSqlite, V1, V2, type RunnerWorld } from '../helpers/runner-world.js';

let world: RunnerWorld;
let v2: string;
let warnPolicy: string;
/** A database V1 was applied to, then changed by hand: a column added, a default set on a new table. */
let drifted: string;
let n = 0;

const sql = execSqlite;
const copy = (from: string) => {
  const to = join(world.dir, `copy-${n++}.sqlite`);
  copyFileSync(from, to);
  return to;
};

beforeAll(async () => {
  world = createWorld('migseal-schema-drift-');
  const policy = JSON.parse(readFileSync(world.policy, 'utf8'));
  policy.environments.staging = { release: 1, approve: 1, onDrift: 'warn' };
  warnPolicy = join(world.dir, 'trust-warn.json');
  writeFileSync(warnPolicy, JSON.stringify(policy), { mode: 0o644 });
  v2 = await world.bundle('v2', V2, { release: '2' });
  drifted = join(world.dir, 'drifted.sqlite');
  expect((await world.cli(['apply', await world.bundle('v1', V1), '--trust', world.policy, '--env', 'production', '--db', `sqlite:${drifted}`])).code).toBe(0);
  expect((await world.cli(['drift', '--db', `sqlite:${drifted}`])).code).toBe(0);
  sql(drifted, 'ALTER TABLE users ADD COLUMN nickname TEXT; CREATE INDEX users_email ON users (email);');
});
afterAll(() => removeDir(world.dir));

describe('T4.14 live schema drift', () => {
  it('drift exits 0 on a schema migseal left as it was, naming the recorded run', async () => {
    const db = join(world.dir, 'clean.sqlite');
    expect((await world.cli(['apply', await world.bundle('c1', V1), '--trust', world.policy, '--db', `sqlite:${db}`])).code).toBe(0);
    const result = await world.cli(['drift', '--db', `sqlite:${db}`]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^the live schema of sqlite:.*clean\.sqlite matches the fingerprint recorded \S+ by run [0-9a-f-]{36} \(sha256:[0-9a-f]{16}…, 8 objects\)\n$/);
  });

  it('drift names an out-of-band ALTER TABLE object by object, with both definitions, and exits 2', async () => {
    const text = await world.cli(['drift', '--db', `sqlite:${drifted}`]);
    expect(text.code).toBe(2);
    expect(text.stdout).toContain('SCHEMA_DRIFTED: the live schema of sqlite:');
    expect(text.stdout).toContain('  added    column users.nickname\n           TEXT\n');
    expect(text.stdout).toContain('  added    index users_email\n           CREATE INDEX users_email ON users(email)\n');
    // SQLite's stored CREATE TABLE text changed only where the new column is written: the column says it, once.
    expect(text.stdout).not.toContain('table users');
    const json = await world.cli(['drift', '--db', `sqlite:${drifted}`, '--json']);
    expect(json.code).toBe(2);
    expect(codeOf(json)).toBe('SCHEMA_DRIFTED');
    const doc = JSON.parse(json.stdout);
    expect(doc.added.map((o: { kind: string; name: string }) => `${o.kind} ${o.name}`)).toEqual(['column users.nickname', 'index users_email']);
    expect(doc.removed).toEqual([]);
    expect(doc.changed).toEqual([]);
  });

  it('apply and plan refuse where an approval is required, and the database is unchanged', async () => {
    const before = dumpSqlite(drifted);
    const apply = await world.cli(['apply', v2, '--trust', world.policy, '--env', 'production', '--db', `sqlite:${drifted}`, '--json']);
    expect(apply.code).toBe(2);
    expect(codeOf(apply)).toBe('SCHEMA_DRIFTED');
    expect(apply.stderr).toMatch(
      /^migseal: refused: The live schema of sqlite:.*drifted\.sqlite is not the one migseal recorded after its last run \(\S+, sha256:[0-9a-f]{16}…\); it was changed outside migseal: 2 added, 0 removed, 0 changed: added column users\.nickname; added index users_email\. Nothing was run;/,
    );
    const plan = await world.cli(['plan', v2, '--trust', world.policy, '--env', 'production', '--db', `sqlite:${drifted}`, '--json']);
    expect(plan.code).toBe(2);
    expect(JSON.parse(plan.stdout)).toMatchObject({ ok: false, refusal: { code: 'SCHEMA_DRIFTED' }, liveSchema: { drifted: true } });
    expect(dumpSqlite(drifted)).toBe(before);
  });

  it('apply warns and goes on where the policy says warn, and records the schema it leaves', async () => {
    const db = copy(drifted);
    const result = await world.cli(['apply', v2, '--trust', warnPolicy, '--env', 'staging', '--db', `sqlite:${db}`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\nwarning: the live schema of sqlite:.* drifted from the one migseal recorded after its last run \(2 added, 0 removed, 0 changed: .*\); the policy says warn, so the run went ahead\napplied 1 migration/);
    expect((await world.cli(['drift', '--db', `sqlite:${db}`])).code).toBe(0);
  });

  it('drift --accept records the change as intended, with who and why; then apply runs', async () => {
    const db = copy(drifted);
    expect((await world.cli(['drift', '--accept', '--db', `sqlite:${db}`])).code).toBe(1);
    const accepted = await world.cli(['drift', '--accept', '--reason', 'hotfix INC-7 added users.nickname', '--db', `sqlite:${db}`]);
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/^accepted the live schema of sqlite:.* as intended, recorded by \S+ in run [0-9a-f-]{36}/);
    expect((await world.cli(['drift', '--db', `sqlite:${db}`])).code).toBe(0);
    const history = await world.cli(['history', '--db', `sqlite:${db}`]);
    expect(history.stdout).toMatch(/resolve schema drift accepted \(2 added, 0 removed, 0 changed: .*\): hotfix INC-7 added users\.nickname/);
    expect((await world.cli(['drift', '--accept', '--reason', 'again', '--db', `sqlite:${db}`])).stderr).toMatch(/there is no drift to accept/);
    expect((await world.cli(['apply', v2, '--trust', world.policy, '--env', 'production', '--db', `sqlite:${db}`])).code).toBe(0);
  });

  it('a recorded fingerprint rewritten to match the changed schema is caught (HISTORY_TAMPERED)', async () => {
    const db = copy(drifted);
    sql(db, "UPDATE migseal_fingerprints SET fingerprint = replace(fingerprint, 'email TEXT NOT NULL)', 'email TEXT NOT NULL,nickname TEXT)')");
    const result = await world.cli(['drift', '--db', `sqlite:${db}`, '--json']);
    expect(result.code).toBe(2);
    expect(codeOf(result)).toBe('HISTORY_TAMPERED');
    expect(result.stderr).toMatch(/the schema fingerprint run [0-9a-f-]{36} recorded \(sha256:[0-9a-f]{16}…\) is not the one recorded/);
    sql(db, "UPDATE migseal_fingerprints SET sha256 = 'x'");
    expect(codeOf(await world.cli(['drift', '--db', `sqlite:${db}`, '--json']))).toBe('HISTORY_TAMPERED');
  });

  it("the auditor's report shows the last fingerprint and whether the live schema still matches it", async () => {
    const report = await world.cli(['audit', v2, '--trust', world.policy, '--db', `sqlite:${drifted}`]);
    expect(report.stdout).toMatch(/\n {2}schema {7}fingerprint sha256:[0-9a-f]{16}… recorded \S+; the live schema DRIFTED from it \(2 added, 0 removed, 0 changed: .*\)\n/);
    const json = JSON.parse((await world.cli(['audit', v2, '--trust', world.policy, '--db', `sqlite:${drifted}`, '--json'])).stdout);
    expect(json.database.schema).toMatchObject({ matches: false, recorded: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
  });

  it('drift on a database with no recorded fingerprint says so (exit 1)', async () => {
    const result = await world.cli(['drift', '--db', `sqlite:${join(world.dir, 'none.sqlite')}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/has no recorded schema fingerprint to compare with: no migseal run has recorded one yet/);
  });
});
