/**
 * The generated history of safe PostgreSQL migrations (bench/lint-corpus.mjs) lints clean:
 * no false positives. Each unsafe variant after it is found, with its rule.
 */
import { describe, expect, test } from 'vitest';
import { safeMigrations, UNSAFE } from '../../bench/lint-corpus.mjs';
import { golangMigrate } from '../../src/layouts/golang-migrate.js';
import { analyzeMigrations } from '../../src/lint/analyze.js';

function analyse(files: Record<string, string>) {
  const paths = Object.keys(files).sort();
  const listing = { paths, read: (p: string) => Buffer.from(files[p]!) };
  const { migrations } = golangMigrate.read(listing);
  return { migrations, findings: analyzeMigrations({ migrations, read: listing.read, dialect: 'postgres' }) };
}

describe('generated corpus', () => {
  const safe = safeMigrations(240);

  test('240 safe migrations: no findings', () => {
    const { migrations, findings } = analyse(safe);
    expect(migrations.length).toBeGreaterThanOrEqual(240);
    expect(migrations.filter((m) => !m.transactional).length).toBeGreaterThan(20);
    expect(findings.filter((f) => f.direction !== 'down')).toEqual([]);
    // The down scripts undo what the ups made: destructive by design, and no other error.
    expect(new Set(findings.filter((f) => f.direction === 'down' && f.severity === 'error').map((f) => f.category))).toEqual(new Set(['destructive']));
  });

  test.each(UNSAFE.map(([name, sql, rule]) => [name, sql, rule] as const))('unsafe %s is found', (name, sql, rule) => {
    const { findings } = analyse({ ...safe, [`9999_${name}.up.sql`]: `${sql}\n` });
    expect(findings.map((f) => [f.file, f.rule])).toContainEqual([`9999_${name}.up.sql`, rule]);
  });
});
