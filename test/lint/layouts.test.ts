/** The analysis follows each layout: dbmate's up section only (lines in the file), Diesel's wrapping and its opt-out. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { analyzeFolder } from '../../src/pack/analyze-folder.js';
import { MigsealError } from '../../src/errors.js';
import { packBundle, removeDir, tempDir, writeMigrations } from '../helpers/fixtures.js';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => removeDir(dir));

describe('layouts', () => {
  test('dbmate: the down section is analysed as a down script, and lines are lines of the file', () => {
    const src = writeMigrations(join(dir, 'dbmate'), {
      '20240101000001_users.sql': '-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, nickname text);\n\n-- migrate:down\nDROP TABLE users;\n',
      '20240101000002_cleanup.sql': "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users DROP COLUMN nickname;\n-- migrate:down\nDROP TABLE users;\n",
    });
    const result = analyzeFolder(src, { dialect: 'postgres' });
    expect(result.layout).toBe('dbmate');
    expect(result.findings.filter((f) => f.severity === 'error').map((f) => [f.file, f.line, f.rule, f.direction])).toEqual([
      ['20240101000002_cleanup.sql', 3, 'destructive/drop-column', undefined],
      ['20240101000002_cleanup.sql', 5, 'destructive/drop-table', 'down'],
      ['20240101000001_users.sql', 5, 'destructive/drop-table', 'down'],
    ]);
  });

  test('Diesel wraps each migration: CONCURRENTLY fails the pack unless metadata.toml turns the transaction off', async () => {
    const files = {
      '2024-01-01-000001_users/up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n',
      '2024-01-01-000001_users/down.sql': 'DROP TABLE users;\n',
      '2024-01-01-000002_email_index/up.sql': 'CREATE INDEX CONCURRENTLY users_email ON users (email);\n',
      '2024-01-01-000002_email_index/down.sql': 'DROP INDEX CONCURRENTLY users_email;\n',
    };
    const wrapped = writeMigrations(join(dir, 'diesel-wrapped'), files);
    expect(analyzeFolder(wrapped, { dialect: 'postgres' }).findings.filter((f) => f.severity === 'error').map((f) => [f.rule, f.direction])).toEqual([
      ['transaction/cannot-run-in-transaction', undefined],
      ['transaction/cannot-run-in-transaction', 'down'],
      ['destructive/drop-table', 'down'],
    ]);
    const error = await packBundle({ dir: wrapped, dialect: 'postgres' }).then(() => undefined, (e: unknown) => e);
    expect((error as MigsealError).code).toBe('LAYOUT_INVALID');

    const optedOut = writeMigrations(join(dir, 'diesel-no-tx'), { ...files, '2024-01-01-000002_email_index/metadata.toml': 'run_in_transaction = false\n' });
    expect(analyzeFolder(optedOut, { dialect: 'postgres' }).findings.filter((f) => f.direction !== 'down')).toEqual([]);
    await expect(packBundle({ dir: optedOut, dialect: 'postgres' })).resolves.toBeInstanceOf(Buffer);
  });
});
