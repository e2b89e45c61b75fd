/** The targets file, --shard and the wave plan, in process: the forms a file takes, what it refuses, and the stop rule. */
import { describe, expect, it } from 'vitest';
import { MigsealError } from '../../src/errors.js';
import { parseShard, parseTargets, planWaves, runRollout, shardOfName, takeShard } from '../../src/fleet/index.js';
import { refusal } from '../helpers/refusal.js';

const parse = (text: string) => parseTargets(text, '/srv/targets.json', '/srv');

describe('targets file', () => {
  it('reads a JSON array, the same under "targets", and plain lines, with relative SQLite paths from its folder', () => {
    const array = parse('[{"name": "tenant-0042", "db": "postgres://deploy@db-3/tenant_0042"}, {"name": "local", "db": "sqlite:data/a.db"}]');
    expect(array.map((t) => [t.name, t.url.display])).toEqual([
      ['tenant-0042', 'postgres://deploy@db-3/tenant_0042'],
      ['local', 'sqlite:/srv/data/a.db'],
    ]);
    expect(parse('{"targets": [{"name": "a", "db": "sqlite:a.db"}]}').map((t) => t.url.display)).toEqual(['sqlite:/srv/a.db']);
    const lines = parse('# tenants\npostgres://deploy@db-1/t1\n\ntenant-2 postgres://deploy@db-1/t2?schema=t2\n');
    expect(lines.map((t) => t.name)).toEqual(['postgres://deploy@db-1/t1', 'tenant-2']);
  });

  it('takes a password file (relative to the file) or a variable per PostgreSQL target', () => {
    const [a, b] = parse('[{"name": "a", "db": "postgres://u@h/a", "passwordFile": "secrets/a"}, {"name": "b", "db": "postgres://u@h/b", "passwordEnv": "B_PASSWORD"}]');
    expect(a!.password).toEqual({ file: '/srv/secrets/a' });
    expect(b!.password).toEqual({ env: 'B_PASSWORD' });
  });

  it('refuses a password in a URL, naming the target and where, never the password', () => {
    for (const text of [
      '[{"name": "tenant-1", "db": "postgres://deploy:hunter2@db/t1"}]',
      '[{"name": "tenant-1", "db": "postgres://deploy@db/t1?password=hunter2"}]',
      'postgres://deploy:hunter2@db/t1',
      'tenant-1 postgres://deploy@db/t1?pass%77ord=hunter2',
    ]) {
      const error = refusal(() => parse(text), 'TARGETS_INVALID');
      expect(error.message).toMatch(/carries a password in the URL of (target "tenant-1"|the target on line 1)/);
      expect(error.message).not.toContain('hunter2');
    }
  });

  it('refuses what it cannot read as a fleet', () => {
    const cases: Array<[string, RegExp]> = [
      ['[]', /names no target/],
      ['', /names no target/],
      ['[{"name": "a", "db": "sqlite:a.db"}, {"name": "a", "db": "sqlite:b.db"}]', /names the target "a" twice/],
      ['[{"name": "a", "db": "sqlite:a.db"}, {"name": "b", "db": "sqlite:a.db"}]', /gives the targets "a" and "b" the same database/],
      ['[{"name": "a", "db": "sqlite:a.db", "password": "x"}]', /unknown field "password"/],
      ['{"targets": [], "extra": 1}', /unknown field "extra"/],
      ['[{"name": "a", "db": "sqlite:a.db",}]', /not strict JSON/],
      ['[{"name": "a", "db": "sqlite:a.db"}, {"name": "a b", "db": "sqlite:b.db"}]', /name of 1 to 200 printable characters/],
      ['[{"name": "a", "db": "mysql://x/y"}]', /gives target "a" a URL migseal cannot use/],
      ['[{"name": "a", "db": "sqlite:a.db", "passwordEnv": "P"}]', /SQLite file, which takes no password/],
      ['a b c', /more than a name and a URL on line 1/],
    ];
    for (const [text, message] of cases) expect(refusal(() => parse(text), 'TARGETS_INVALID').message, text).toMatch(message);
  });
});

describe('--shard', () => {
  const targets = Array.from({ length: 500 }, (_, i) => ({ name: `tenant-${String(i).padStart(4, '0')}` }));

  it('splits the targets into n slices that cover each exactly once, by name alone', () => {
    const slices = [1, 2, 3, 4, 5].map((index) => takeShard(targets, { index, count: 5 }));
    expect(slices.flat().map((t) => t.name).sort()).toEqual(targets.map((t) => t.name).sort());
    for (const s of slices) expect(s.length).toBeGreaterThan(60);
    // Adding targets or reordering the file moves no existing target to another shard.
    const more = [...targets].reverse().concat([{ name: 'tenant-new' }]);
    expect(takeShard(more, { index: 3, count: 5 }).filter((t) => t.name !== 'tenant-new').map((t) => t.name).sort()).toEqual(slices[2]!.map((t) => t.name).sort());
    expect(shardOfName('tenant-0001', 1)).toBe(1);
  });

  it('numbers shards from 1 and refuses anything else', () => {
    expect(parseShard('2/8')).toEqual({ index: 2, count: 8 });
    for (const bad of ['0/8', '9/8', '1/0', '1', 'a/b', '-1/2', '1/2/3']) expect(refusal(() => parseShard(bad), 'USAGE').message).toMatch(/numbered from 1/);
  });
});

describe('waves and the stop rule', () => {
  it('puts the canary first, then waves of the given size', () => {
    expect(planWaves([1, 2, 3, 4, 5, 6], 1, 2).waves).toEqual([[1], [2, 3], [4, 5], [6]]);
    expect(planWaves([1, 2, 3], 0, 5).waves).toEqual([[1, 2, 3]]);
    expect(planWaves([1], 3, 5)).toEqual({ waves: [[1]], canary: 1 });
  });

  it('finishes the failing wave, starts no later one, and never runs more than --parallel at once', async () => {
    let running = 0;
    let most = 0;
    const ran: number[] = [];
    const result = await runRollout(planWaves([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 4), {
      parallel: 2,
      stopOnFailure: true,
      run: async (n) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        ran.push(n);
        if (n === 3) throw new MigsealError('MIGRATION_FAILED', 'boom');
        return n;
      },
    });
    expect(most).toBe(2);
    expect(ran.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(result.stoppedAfterWave).toBe(2);
    expect(result.records.filter((r) => !r.result && !r.error).map((r) => r.target)).toEqual([6, 7, 8, 9]);
    expect(result.records.find((r) => r.target === 3)!.error!.code).toBe('MIGRATION_FAILED');
  });
});
