/**
 * An apply to SQLite loads only what a SQLite run needs: the built CLI runs with a hook that
 * records every module it loads, and PostgreSQL's parser (libpg-query, WebAssembly that takes
 * about 100 ms of CPU to compile) is not among them, even when the runner parses a script to
 * see whether it controls its own transaction. `migseal lint` of a PostgreSQL folder, recorded
 * the same way, shows the hook sees the parser when a command does load it.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BIN, runNode, type CliResult } from '../helpers/cli.js';
import { writeMigrations } from '../helpers/fixtures.js';
import { recordModuleLoads } from '../helpers/module-loads.js';
import { createWorld, tableNames, type RunnerWorld } from '../helpers/runner-world.js';

let world: RunnerWorld;
beforeAll(() => {
  world = createWorld('migseal-apply-loads-');
});
afterAll(() => rmSync(world.dir, { recursive: true, force: true }));

/** Runs the CLI with every module it loads recorded; returns the result and the packages loaded. */
async function recordLoads(name: string, args: string[]): Promise<{ result: CliResult; packages: string[]; builtins: string[] }> {
  const recording = recordModuleLoads(world.dir, name);
  const result = await runNode([...recording.nodeArgs, BIN, ...args], {
    cwd: world.dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MIGSEAL_AUDIT_LOG: join(world.dir, 'audit.jsonl') },
  });
  const { packages, builtins } = recording.loaded();
  return { result, packages, builtins };
}

it('an apply to SQLite does not load the PostgreSQL parser, even when it parses a script for transaction control', async () => {
  const bundle = await world.bundle('triggers', {
    '1_create_items.up.sql': 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, updated TEXT);\n',
    '1_create_items.down.sql': 'DROP TABLE items;\n',
    // BEGIN ... END of a trigger body: the runner parses the script, and it stays in the runner's transaction.
    '2_touch_items.up.sql': "CREATE TRIGGER items_touch AFTER UPDATE ON items BEGIN UPDATE items SET updated = 'now' WHERE id = NEW.id; END;\n",
    '2_touch_items.down.sql': 'DROP TRIGGER items_touch;\n',
  });
  const db = join(world.dir, 'triggers.db');
  const { result, packages, builtins } = await recordLoads('apply', ['apply', bundle, '--trust', world.policy, '--db', `sqlite:${db}`, '--json']);
  expect(result.code, result.stderr).toBe(0);
  const applied = (JSON.parse(result.stdout) as { applied: Array<{ version: string; mode: string }> }).applied;
  expect(applied.map((a) => [a.version, a.mode])).toEqual([
    ['1', 'transaction'],
    ['2', 'transaction'],
  ]);
  expect(tableNames(db)).toContain('items');
  // The script was read with SQLite's parser, and PostgreSQL's was never loaded.
  expect(packages).toContain('better-sqlite3');
  expect(packages).toContain('sql-parser-cst');
  expect(packages).not.toContain('libpg-query');
  // PostgreSQL's client is bundled but never started (it loads node:dns for host names), and child processes
  // (pg_dump for --backup, logger for --audit-sink syslog) are loaded only by the runs that start one.
  expect(builtins).toContain('node:crypto');
  expect(builtins).not.toContain('node:dns');
  expect(builtins).not.toContain('node:child_process');
});

it('the recording sees the PostgreSQL parser when a command loads it (lint of a PostgreSQL folder)', async () => {
  const dir = writeMigrations(join(world.dir, 'pg-src'), { '1_add.up.sql': 'CREATE TABLE t (id bigint PRIMARY KEY);\n', '1_add.down.sql': 'DROP TABLE t;\n' });
  const { result, packages } = await recordLoads('lint', ['lint', dir, '--dialect', 'postgres']);
  expect(result.code, result.stderr).toBe(0);
  expect(packages).toContain('libpg-query');
});
