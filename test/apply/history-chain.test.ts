/**
 * T5.9, T5.11, T5.17, T5.18 on SQLite, through the CLI with real keys: migrations and
 * people that change migseal's own history, shadow it, or rewrite the audit log, and an
 * audit log that cannot take the run's first record.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir } from '../helpers/fixtures.js';
import { rechain } from '../helpers/rechain.js';
import { codeOf, createWorld, execSqlite, dumpSqlite, rows, V1, V2, type RunnerWorld } from '../helpers/runner-world.js';

let world: RunnerWorld;
let n = 0;
/** Release 1 (V1), and a database the CLI applied it to, which each tamper case copies. */
let v1: string;
let appliedV1: string;
const freshDb = () => join(world.dir, `db-${n++}.sqlite`);
const apply = (bundle: string, db: string, ...extra: string[]) => world.cli(['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--json', ...extra]);
const sql = execSqlite;
/** A database at release 1, as apply left it (a copy of one applied once for the file). */
const atV1 = (): string => {
  const db = freshDb();
  copyFileSync(appliedV1, db);
  return db;
};

beforeAll(async () => {
  world = createWorld('migseal-chain-');
  v1 = await world.bundle('v1', V1);
  appliedV1 = freshDb();
  expect((await apply(v1, appliedV1)).code).toBe(0);
});
afterAll(() => removeDir(world.dir));

/**
 * Every command that reads the history refuses, names the row, and changes nothing. The
 * commands all take the same path to the history's check, so `every` runs them all once (on
 * one kind of tampering); the other kinds run a writer (apply) and a reader (status).
 */
async function expectTampered(db: string, bundle: string, named: RegExp, every = false): Promise<void> {
  const before = dumpSqlite(db);
  const url = `sqlite:${db}`;
  const commands = [
    ['apply', bundle, '--trust', world.policy, '--db', url],
    ['status', '--db', url],
    ['plan', bundle, '--trust', world.policy, '--db', url],
    ['rollback', '--yes', bundle, '--trust', world.policy, '--db', url, '--to', '0'],
    ['resolve', '--db', url, '--version', '1', '--as', 'applied', '--reason', 'x'],
    ['history', '--db', url],
    ['audit', bundle, '--trust', world.policy, '--db', url],
    ['audit-log', 'verify', join(world.dir, 'audit.jsonl'), '--db', url],
  ];
  for (const args of every ? commands : commands.slice(0, 2)) {
    const result = await world.cli([...args, '--json']);
    expect(result.code, args.join(' ')).toBe(2);
    expect(codeOf(result), args.join(' ')).toBe('HISTORY_TAMPERED');
    expect(result.stderr, args.join(' ')).toMatch(/migseal's history in sqlite:.* was changed outside migseal: /);
    expect(result.stderr, args.join(' ')).toMatch(named);
  }
  expect(dumpSqlite(db)).toBe(before);
}

describe('T5.11 a signed migration that rewrites migseal history is caught by the next command', () => {
  it('a migration that marks an applied migration rolled back (so it would run again)', async () => {
    const db = atV1();
    const bundle = await world.bundle('forget', { ...V2, '3_index_orders.up.sql': "CREATE INDEX orders_user ON orders(user_id);\nUPDATE migseal_migrations SET state = 'rolled-back' WHERE version = '1';\n" }, { release: '2' });
    expect((await apply(bundle, db)).code).toBe(0);
    await expectTampered(db, bundle, /migseal_migrations row "1" does not match history entry \d+ \(state: "applied" → "rolled-back"\)/, true);
  });

  it('a migration that deletes the history row of an applied migration', async () => {
    const db = freshDb();
    const bundle = await world.bundle('delete', { ...V1, '3_forget.up.sql': "DELETE FROM migseal_migrations WHERE version = '2';\n" }, { release: '2' });
    expect((await apply(bundle, db)).code).toBe(0);
    await expectTampered(db, bundle, /migseal_migrations row "2" is missing \(history entry \d+ recorded this migration\)/);
  });

  it('a migration that edits a checksum to hide drift', async () => {
    const db = freshDb();
    const bundle = await world.bundle('checksum', { ...V1, '3_hide.up.sql': "UPDATE migseal_migrations SET checksum = '" + '0'.repeat(64) + "' WHERE version = '1';\n" });
    expect((await apply(bundle, db)).code).toBe(0);
    await expectTampered(db, bundle, /migseal_migrations row "1" does not match history entry \d+ \(checksum: /);
  });

  it('a history row added by hand', async () => {
    const db = atV1();
    const bundle = v1;
    sql(db, "INSERT INTO migseal_migrations SELECT '9', '9', 'ghost', kind, checksum, release, bundle_digest, applied_at, applied_by, duration_ms, state, run_id, note FROM migseal_migrations WHERE version = '1'");
    await expectTampered(db, bundle, /migseal_migrations row "9" was written by no history entry \(it was added outside migseal\)/);
  });

  it('a run row rewritten to hide who ran it', async () => {
    const db = atV1();
    const bundle = v1;
    sql(db, "UPDATE migseal_runs SET host = 'elsewhere'");
    await expectTampered(db, bundle, /migseal_runs row ".*" does not match history entry \d+ \(host: /);
  });

  it('a chain entry edited to match an edited row', async () => {
    const db = atV1();
    const bundle = v1;
    sql(db, "UPDATE migseal_migrations SET state = 'rolled-back' WHERE version = '1'; UPDATE migseal_chain SET body = replace(body, '\"state\":\"applied\"', '\"state\":\"rolled-back\"') WHERE body LIKE '%\"key\":\"1\"%'");
    await expectTampered(db, bundle, /history entry \d+ does not match its hash \(it was edited\)/);
  });

  it('an entry removed from the middle of the chain', async () => {
    const db = atV1();
    const bundle = v1;
    sql(db, 'DELETE FROM migseal_chain WHERE seq = 2');
    await expectTampered(db, bundle, /history entry 2 is missing \(the entries jump to 3\)/);
  });

  it('the chain table dropped', async () => {
    const db = atV1();
    const bundle = v1;
    sql(db, 'DROP TABLE migseal_chain');
    await expectTampered(db, bundle, /its history chain \(migseal_chain\) was removed/);
  });

  it('an intact chain is said so by status and history', async () => {
    const db = atV1();
    const status = await world.cli(['status', '--db', `sqlite:${db}`]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/chain {7}intact: \d+ entries, newest sha256:[0-9a-f]{16}…/);
    const history = JSON.parse((await world.cli(['history', '--db', `sqlite:${db}`, '--json'])).stdout);
    expect(history.chain).toMatchObject({ intact: true, entries: expect.any(Number), head: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});

describe('T5.9 a signed migration that shadows migseal history', () => {
  it('a temp table of the same name: the history stays in main and nothing runs twice', async () => {
    const db = freshDb();
    const files = {
      ...V1,
      '3_shadow.up.sql': "CREATE TEMP TABLE migseal_migrations (migration_key TEXT PRIMARY KEY, version TEXT, name TEXT, kind TEXT, checksum TEXT, release TEXT, bundle_digest TEXT, applied_at TEXT, applied_by TEXT, duration_ms INTEGER, state TEXT, run_id TEXT, note TEXT);\nCREATE TEMP TABLE migseal_chain (seq INTEGER PRIMARY KEY, run_id TEXT, body TEXT, prev_hash TEXT, hash TEXT);\n",
      '4_after.up.sql': 'CREATE TABLE after_shadow (id INTEGER);\n',
    };
    const bundle = await world.bundle('temp', files);
    expect((await apply(bundle, db)).code).toBe(0);
    expect(rows(db, 'SELECT version FROM main.migseal_migrations ORDER BY version').map((r) => r.version)).toEqual(['1', '2', '3', '4']);
    const again = await apply(bundle, db);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ upToDate: true, applied: [] });
    expect((await world.cli(['status', '--db', `sqlite:${db}`])).stdout).toMatch(/chain {7}intact/);
  });
});

describe('history an older migseal wrote', () => {
  it('is read without a chain, then chained from the next apply, and said so', async () => {
    const db = atV1();
    // What an older migseal left: no chain table, no audit column.
    sql(db, 'DROP TABLE migseal_chain; DROP TABLE migseal_fingerprints; ALTER TABLE migseal_runs DROP COLUMN audit_hash;');
    const before = await world.cli(['status', '--db', `sqlite:${db}`]);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/chain {7}not chained yet \(written by an older migseal; the next apply, rollback or resolve begins the chain\)/);
    expect((await apply(await world.bundle('new', V2, { release: '2' }), db)).code).toBe(0);
    const after = await world.cli(['history', '--db', `sqlite:${db}`]);
    expect(after.stdout).toMatch(/chain: intact: \d+ entries, from \d{4}-\d\d-\d\dT[0-9:.]+Z, when it began over the history an older migseal had written/);
    sql(db, "UPDATE migseal_migrations SET state = 'rolled-back' WHERE version = '1'");
    const refused = await world.cli(['status', '--db', `sqlite:${db}`, '--json']);
    expect(codeOf(refused)).toBe('HISTORY_TAMPERED');
    expect(refused.stderr).toMatch(/migseal_migrations row "1" does not match history entry 1 \(state: "applied" → "rolled-back"\)/);
  });
});

describe('T5.17 an audit log that cannot take the started record', () => {
  it('runs nothing: exit 1, and the database is not even created', async () => {
    const db = freshDb();
    const log = join(world.dir, 'locked-out.jsonl');
    // The log file itself can be opened, but its lock cannot be taken: the started record cannot be written.
    mkdirSync(`${log}.lock`);
    const result = await world.cli(['apply', await world.bundle('nolog', V1), '--trust', world.policy, '--db', `sqlite:${db}`, '--json'], { MIGSEAL_AUDIT_LOG: log });
    expect(result.code).toBe(1);
    expect(codeOf(result)).toBe('IO');
    expect(result.stderr).toMatch(/Cannot record the start of the apply in the audit log .*locked-out\.jsonl \(.*\), so nothing was run\./);
    expect(dumpSqlite(db)).toBe('');
  });

  it('on an existing database, changes nothing', async () => {
    const db = freshDb();
    expect((await apply(await world.bundle('nolog1', V1), db)).code).toBe(0);
    const before = dumpSqlite(db);
    const log = join(world.dir, 'locked-out-2.jsonl');
    mkdirSync(`${log}.lock`);
    const result = await world.cli(['apply', await world.bundle('nolog2', V2, { release: '2' }), '--trust', world.policy, '--db', `sqlite:${db}`], { MIGSEAL_AUDIT_LOG: log });
    expect(result.code).toBe(1);
    expect(dumpSqlite(db)).toBe(before);
  });
});

describe('T5.18 audit-log verify --db catches a log rewritten with its chain recomputed', () => {
  let v2: string;
  beforeAll(async () => {
    v2 = await world.bundle('v2', V2, { release: '2' });
  });
  async function twoRuns(name: string) {
    const db = freshDb();
    const log = join(world.dir, `${name}.jsonl`);
    const env = { MIGSEAL_AUDIT_LOG: log };
    expect((await world.cli(['apply', v1, '--trust', world.policy, '--db', `sqlite:${db}`], env)).code).toBe(0);
    expect((await world.cli(['apply', v2, '--trust', world.policy, '--db', `sqlite:${db}`], env)).code).toBe(0);
    return { db, log };
  }
  const verify = (log: string, db: string) => world.cli(['audit-log', 'verify', log, '--db', `sqlite:${db}`, '--json']);
  const alone = async (log: string) => (await world.cli(['audit-log', 'verify', log])).code;

  it('an intact log matches every run', async () => {
    const { db, log } = await twoRuns('intact');
    const result = await world.cli(['audit-log', 'verify', log, '--db', `sqlite:${db}`]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/database {4}sqlite:.*: all 2 anchored run\(s\) match their started records/);
  });

  it('a deleted record', async () => {
    const { db, log } = await twoRuns('deleted');
    let runId = '';
    rechain(log, (records) => {
      const i = records.findIndex((r) => r.outcome === 'started');
      runId = String(records[i]!.runId);
      return records.filter((_, j) => j !== i);
    });
    expect(await alone(log)).toBe(0);
    const result = await verify(log, db);
    expect(result.code).toBe(2);
    expect(codeOf(result)).toBe('AUDIT_CHAIN_BROKEN');
    expect(result.stderr).toContain(`1 run(s) sqlite:${db} recorded have no started record in the log (first: run ${runId}`);
  });

  it('an added record', async () => {
    const { db, log } = await twoRuns('added');
    rechain(log, (records) => {
      const started = records.find((r) => r.outcome === 'started')!;
      return [...records, { ...started, runId: 'forged-run', time: '2030-01-01T00:00:00.000Z' }];
    });
    expect(await alone(log)).toBe(0);
    const result = await verify(log, db);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/1 started record\(s\) name runs sqlite:.* never recorded \(first: line \d+, run forged-run\)/);
  });

  it('a record edited and the chain recomputed', async () => {
    const { db, log } = await twoRuns('edited');
    rechain(log, (records) => records.map((r) => (r.outcome === 'started' ? { ...r, user: 'someone-else' } : r)));
    expect(await alone(log)).toBe(0);
    const result = await verify(log, db);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/2 record\(s\) were rewritten or re-chained \(first: line \d+, run [0-9a-f-]+: the log has [0-9a-f]{16}…, the database recorded [0-9a-f]{16}…\)/);
  });

  it('records of another database in the same log are not counted as extra', async () => {
    const { db, log } = await twoRuns('shared');
    const other = freshDb();
    expect((await world.cli(['apply', v1, '--trust', world.policy, '--db', `sqlite:${other}`], { MIGSEAL_AUDIT_LOG: log })).code).toBe(0);
    expect((await verify(log, db)).code).toBe(0);
    expect((await verify(log, other)).code).toBe(0);
    expect(readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"outcome":"started"'))).toHaveLength(3);
  });
});
