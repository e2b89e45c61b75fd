/** What pack records about the peer tool's table, and what the manifest accepts. */
import { describe, expect, it } from 'vitest';
import { describePeerHistory, peerHistoryFor } from '../../src/peer-history/index.js';
import { validateManifest } from '../../src/format/manifest.js';
import { MigsealError } from '../../src/errors.js';

const usage = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    expect((error as MigsealError).code).toBe('USAGE');
    return (error as Error).message;
  }
  throw new Error('expected a usage error');
};

describe('peer history setting', () => {
  it('keeps the tool table by default for the layouts whose tool keeps one, with its default name', () => {
    expect(peerHistoryFor('golang-migrate', undefined, undefined)).toEqual({ tool: 'golang-migrate', table: 'schema_migrations', keep: true });
    expect(peerHistoryFor('dbmate', undefined, undefined)).toEqual({ tool: 'dbmate', table: 'schema_migrations', keep: true });
    expect(peerHistoryFor('prisma', undefined, undefined)).toEqual({ tool: 'prisma', table: '_prisma_migrations', keep: true });
    expect(peerHistoryFor('diesel', 'keep', undefined)).toEqual({ tool: 'diesel', table: '__diesel_schema_migrations', keep: true });
    expect(peerHistoryFor('flyway', 'off', undefined)).toEqual({ tool: 'flyway', table: 'flyway_schema_history', keep: false });
    expect(peerHistoryFor('golang-migrate', undefined, 'app.schema_om')).toEqual({ tool: 'golang-migrate', table: 'app.schema_om', keep: true });
    expect(peerHistoryFor('plain', undefined, undefined)).toBeUndefined();
    expect(peerHistoryFor('atlas', 'off', undefined)).toBeUndefined();
  });

  it('refuses what cannot be kept', () => {
    expect(usage(() => peerHistoryFor('plain', 'keep', undefined))).toMatch(/The plain layout has no peer history table to keep/);
    expect(usage(() => peerHistoryFor('golang-migrate', 'maybe', undefined))).toMatch(/--peer-history takes keep or off/);
    expect(usage(() => peerHistoryFor('golang-migrate', undefined, 'drop table x;'))).toMatch(/--peer-table must be a table name/);
    expect(usage(() => peerHistoryFor('prisma', undefined, 'other'))).toMatch(/prisma always keeps its history in _prisma_migrations/);
  });

  it('is described for plan and pack', () => {
    expect(describePeerHistory({ tool: 'flyway', table: 'flyway_schema_history', keep: true })).toBe('kept: flyway flyway_schema_history, written with each migration');
    expect(describePeerHistory({ tool: 'dbmate', table: 'schema_migrations', keep: false })).toBe("off: dbmate's schema_migrations is not written");
  });

  it('is validated in the manifest like every other field', () => {
    const base = {
      format: 'migseal.manifest/v1', project: 'shop', release: '1', dialect: 'postgres', layout: 'dbmate', createdAt: '2026-01-01T00:00:00Z', source: {}, builder: { id: 'local' }, migrations: [], files: [], findings: [],
    };
    expect(validateManifest({ ...base, peerHistory: { tool: 'dbmate', table: 'schema_migrations', keep: true } })).toEqual([]);
    expect(validateManifest({ ...base, peerHistory: { tool: 'liquibase', table: 'x', keep: true } })).toContain('$.peerHistory.tool must be golang-migrate, dbmate, prisma, diesel or flyway');
    expect(validateManifest({ ...base, peerHistory: { tool: 'dbmate', table: 'a"; DROP', keep: true } })).toContain('$.peerHistory.table must be a table name');
    expect(validateManifest({ ...base, peerHistory: { tool: 'dbmate', table: 'x', keep: 'yes' } })).toContain('$.peerHistory.keep must be a boolean');
    expect(validateManifest({ ...base, peerHistory: { tool: 'dbmate', table: 'x', keep: true, extra: 1 } }).join()).toMatch(/peerHistory.*extra|extra.*peerHistory/);
  });
});
