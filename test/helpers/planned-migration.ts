import type { PlannedMigration } from '../../src/apply/plan.js';

/** Migration 7 in a transaction, planned to run `sql`: for the tests that run one script step directly. */
export const plannedMigration = (sql: string, name = 'sneaky'): PlannedMigration => ({
  migration: { version: '7', name, up: `7_${name}.up.sql`, transactional: true },
  key: '7',
  index: 0,
  checksum: '0'.repeat(64),
  script: Buffer.from(sql),
  sql,
  recorded: false,
});
