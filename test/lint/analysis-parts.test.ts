/**
 * A SQLite analysis split into parts (pack's worker takes the first scripts, the main thread
 * the rest) gives the findings of one run, in the same order, wherever it is split; a
 * PostgreSQL analysis, whose up scripts carry the schema they make, is never split.
 */
import { describe, expect, test } from 'vitest';
import { safeMigrations, UNSAFE } from '../../bench/lint-corpus.mjs';
import type { ManifestMigration } from '../../src/format/manifest.js';
import { analysisOrder, analyzeMigrations, splittable, type ReadingState } from '../../src/lint/analyze.js';

function corpus(): { migrations: ManifestMigration[]; read: (path: string) => Buffer } {
  const files = new Map<string, Buffer>();
  const migrations: ManifestMigration[] = [];
  const safe = safeMigrations(30);
  for (const name of Object.keys(safe).filter((n) => n.endsWith('.up.sql'))) {
    const down = name.replace('.up.sql', '.down.sql');
    files.set(name, Buffer.from(safe[name]!));
    files.set(down, Buffer.from(safe[down]!));
    migrations.push({ version: name.slice(0, 4), name, up: name, down, transactional: true });
  }
  UNSAFE.forEach(([name, sql], i) => {
    const path = `${9000 + i}_${name}.up.sql`;
    files.set(path, Buffer.from(`${sql}\n`));
    migrations.push({ version: String(9000 + i), name, up: path, transactional: i % 2 === 0 });
  });
  return { migrations, read: (path) => files.get(path)! };
}

describe('an analysis in parts', () => {
  test('SQLite: the findings of one run, wherever the scripts are split', () => {
    const { migrations, read } = corpus();
    const whole = analyzeMigrations({ migrations, read, dialect: 'sqlite' });
    expect(whole.length).toBeGreaterThan(20);
    const n = analysisOrder(migrations).length;
    for (const split of [0, 7, Math.floor(n / 2), n]) {
      const reading: ReadingState = {};
      const first = analyzeMigrations({ migrations, read, dialect: 'sqlite', part: { from: 0, to: split }, reading });
      const rest = analyzeMigrations({ migrations, read, dialect: 'sqlite', part: { from: split, to: n }, reading });
      expect([...first, ...rest], `split at ${split}`).toEqual(whole);
    }
  });

  test('PostgreSQL is not split', () => {
    const { migrations, read } = corpus();
    expect(splittable('postgres')).toBe(false);
    expect(() => analyzeMigrations({ migrations, read, dialect: 'postgres', part: { from: 0, to: 1 } })).toThrow(/cannot be split/);
  });
});
