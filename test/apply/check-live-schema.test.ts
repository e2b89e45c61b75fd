/**
 * The drift check's verdicts, in process: a difference after a run that could not record the
 * schema it left is SCHEMA_UNRECORDED where the policy refuses drift (not a false
 * SCHEMA_DRIFTED, and not let through), and a warning where it says warn. The PostgreSQL run
 * that gets there for real is in test/apply-pg/history-lock.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { checkLiveSchema, liveSchemaWarning } from '../../src/apply/check-live-schema.js';
import type { CheckContext } from '../../src/apply/check-context.js';
import type { LiveSchema } from '../../src/apply/live-schema.js';
import { MigsealError } from '../../src/errors.js';

const column = { kind: 'column', schema: 'public', table: 'accounts', name: 'a', definition: 'integer' };
const drifted: LiveSchema = {
  recorded: { runId: 'run-1', recordedAt: '2026-12-05T10:00:00.000Z', sha256: 'a'.repeat(64) },
  live: { dialect: 'postgres', objects: [], sha256: 'b'.repeat(64) },
  difference: { added: [column], removed: [], changed: [] } as unknown as LiveSchema['difference'],
  drifted: true,
};
const unrecorded: LiveSchema = { ...drifted, unrecorded: { runId: 'run-2', outcome: 'failed', versions: ['2'] } };
const context = (liveSchema: LiveSchema, onDrift: 'refuse' | 'warn') => ({ liveSchema, onDrift, target: 'postgres://db/shop' }) as unknown as CheckContext;

function refusal(run: () => void): MigsealError {
  try {
    run();
  } catch (error) {
    if (error instanceof MigsealError) return error;
    throw error;
  }
  throw new Error('the check let the schema through');
}

describe('the live schema check', () => {
  it('refuses drift as SCHEMA_DRIFTED where the policy refuses', () => {
    const error = refusal(() => checkLiveSchema(context(drifted, 'refuse')));
    expect([error.code, error.exitCode]).toEqual(['SCHEMA_DRIFTED', 2]);
  });

  it('refuses a difference after a run that could not record its schema as SCHEMA_UNRECORDED, naming the run and the way out', () => {
    const error = refusal(() => checkLiveSchema(context(unrecorded, 'refuse')));
    expect([error.code, error.exitCode]).toEqual(['SCHEMA_UNRECORDED', 2]);
    expect(error.message).toContain('run run-2 (failed) wrote migration 2 after it was recorded and could not record the schema it left');
    expect(error.message).toContain('Nothing was run');
    expect(error.message).toContain('migseal drift --db URL --accept --reason TEXT');
    expect(error.details).toMatchObject({ unrecorded: { runId: 'run-2', versions: ['2'] } });
  });

  it('where the policy says warn, lets both through with a warning that says which it is', () => {
    for (const schema of [drifted, unrecorded]) expect(() => checkLiveSchema(context(schema, 'warn'))).not.toThrow();
    expect(liveSchemaWarning(context(drifted, 'warn'))).toContain('drifted from the one migseal recorded');
    expect(liveSchemaWarning(context(unrecorded, 'warn'))).toContain('so what differs may be its own work; the policy says warn, so the run went ahead and records the schema anew');
    expect(liveSchemaWarning(context(unrecorded, 'refuse'))).toBeUndefined();
  });

  it('says nothing about a schema that matches', () => {
    const same = { ...drifted, drifted: false, difference: { added: [], removed: [], changed: [] } };
    expect(() => checkLiveSchema(context(same, 'refuse'))).not.toThrow();
    expect(liveSchemaWarning(context(same, 'warn'))).toBeUndefined();
  });
});
