/**
 * T4.14 on a real PostgreSQL server, through the CLI: an out-of-band ALTER TABLE is named by
 * `drift`, refused by apply where the policy says refuse (the database byte-for-byte as it
 * was), and only reported where it says warn.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePolicy } from '../helpers/fixtures.js';
import { usePostgresWorld } from '../helpers/postgres-world.js';
import { counterMigrations } from '../helpers/release-world.js';
import { codeOf } from '../helpers/refusal.js';

const ctx = usePostgresWorld();

function policyWith(name: string, onDrift: 'refuse' | 'warn'): string {
  const dir = join(ctx.world.dir, `keys-${name}`);
  mkdirSync(dir, { mode: 0o700, recursive: true });
  copyFileSync(ctx.world.key.publicPath, join(dir, 'release.pub'));
  return writePolicy(dir, { keys: [{ key: ctx.world.key, roles: ['release'] }], environments: { default: { release: 1, onDrift } } });
}

describe('T4.14 live schema drift on PostgreSQL', () => {
  it('drift names an out-of-band ALTER TABLE; apply refuses it under refuse and warns under warn', async () => {
    const refuse = policyWith('refuse', 'refuse');
    const warn = policyWith('warn', 'warn');
    const url = await ctx.cluster.createDatabase('drift_pg');
    const v1 = await ctx.world.bundle(counterMigrations(2));
    const v2 = await ctx.world.bundle(counterMigrations(3), { release: '2' });
    expect((await ctx.world.migseal(['apply', v1, '--trust', refuse, '--db', url])).code).toBe(0);
    expect((await ctx.world.migseal(['drift', '--db', url])).code).toBe(0);

    await ctx.cluster.psql('ALTER TABLE t1 ADD COLUMN extra integer DEFAULT 7; ALTER TABLE t2 ALTER COLUMN note SET NOT NULL;', 'drift_pg');
    const drift = await ctx.world.migseal(['drift', '--db', url, '--json']);
    expect(drift.code).toBe(2);
    expect(codeOf(drift)).toBe('SCHEMA_DRIFTED');
    const doc = JSON.parse(drift.stdout);
    expect(doc.added).toEqual([{ kind: 'column', schema: 'public', name: 't1.extra', definition: 'integer DEFAULT 7' }]);
    expect(doc.changed).toEqual([{ kind: 'column', schema: 'public', name: 't2.note', before: 'text', after: 'text NOT NULL' }]);
    expect((await ctx.world.migseal(['drift', '--db', url])).stdout).toContain('  changed  column public.t2.note\n           was text\n           now text NOT NULL');

    const before = await ctx.cluster.dump('drift_pg');
    const refused = await ctx.world.migseal(['apply', v2, '--trust', refuse, '--db', url, '--json']);
    expect(refused.code).toBe(2);
    expect(codeOf(refused)).toBe('SCHEMA_DRIFTED');
    expect(refused.stderr).toMatch(/^migseal: refused: The live schema of postgres:.* is not the one migseal recorded after its last run .*: 1 added, 0 removed, 1 changed: changed column public\.t2\.note \("text" → "text NOT NULL"\); added column public\.t1\.extra\. Nothing was run;/);
    expect(await ctx.cluster.dump('drift_pg')).toBe(before);

    const warned = await ctx.world.migseal(['apply', v2, '--trust', warn, '--db', url]);
    expect(warned.code).toBe(0);
    expect(warned.stdout).toMatch(/\nwarning: the live schema of postgres:.* drifted from the one migseal recorded after its last run \(1 added, 0 removed, 1 changed: .*\); the policy says warn, so the run went ahead\n/);
    expect((await ctx.world.migseal(['drift', '--db', url])).code).toBe(0);
  });
});
