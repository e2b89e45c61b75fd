/**
 * Flyway's flyway_schema_history, as PostgreSQLDatabase.getRawCreateScript and
 * SQLiteDatabase.getRawCreateScript create it and JdbcTableSchemaHistory.doAddAppliedMigration
 * writes it: one row per run, ranked, with the version (NULL for a repeatable), the description,
 * type SQL, the script's path, Flyway's CRC32 checksum (ChecksumCalculator), the database user
 * (SELECT current_user; '' on SQLite), the execution time in milliseconds and success. A
 * failure outside a transaction leaves a row with success false; an undo adds an UNDO_SQL row.
 */
import { flywayChecksum } from './flyway-checksum.js';
import { stmt, type PeerStatement, type PeerStep, type PeerTarget, type PeerWriter } from './writer.js';

function row(t: PeerTarget, s: PeerStep, type: 'SQL' | 'UNDO_SQL', success: boolean): PeerStatement {
  const user = t.dialect === 'postgres' ? 'current_user' : "''";
  return stmt(
    `INSERT INTO ${t.table} ("installed_rank", "version", "description", "type", "script", "checksum", "installed_by", "execution_time", "success")
     VALUES ((SELECT COALESCE(MAX("installed_rank"), 0) + 1 FROM ${t.table}), ?, ?, ?, ?, ?, ${user}, ?, ?)`,
    s.migration.repeatable ? null : s.migration.version,
    s.migration.name,
    type,
    s.scriptPath,
    flywayChecksum(s.script),
    s.durationMs,
    t.dialect === 'postgres' ? success : success ? 1 : 0,
  );
}

export const flyway: PeerWriter = {
  tool: 'flyway',
  defaultTable: 'flyway_schema_history',
  create: (t) =>
    t.dialect === 'postgres'
      ? [
          `CREATE TABLE ${t.table} (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL
)`,
          `ALTER TABLE ${t.table} ADD CONSTRAINT "${t.name}_pk" PRIMARY KEY ("installed_rank")`,
          `CREATE INDEX "${t.name}_s_idx" ON ${t.table} ("success")`,
        ]
      : [
          `CREATE TABLE ${t.table} (
    "installed_rank" INT NOT NULL PRIMARY KEY,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INT,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),
    "execution_time" INT NOT NULL,
    "success" BOOLEAN NOT NULL
)`,
          `CREATE INDEX "${t.name}_s_idx" ON ${t.table} ("success")`,
        ],
  beforeUp: () => [],
  afterUp: (t, s) => [row(t, s, 'SQL', true)],
  upFailed: (t, s) => [row(t, s, 'SQL', false)],
  beforeDown: () => [],
  afterDown: (t, s) => [row(t, s, 'UNDO_SQL', true)],
};
