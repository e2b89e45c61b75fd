/**
 * docs/threats.md is the threat list code and tests cite by id. This keeps the two from
 * drifting apart: every path the list names exists, every id is listed once, and every id
 * cited in src/ or test/ is one the list defines.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const ID = /\bT\d+\.\d+\b/g;

interface Row {
  id: string;
  module: string;
  tests: string;
}

function rows(): Row[] {
  const text = readFileSync(join(root, 'docs', 'threats.md'), 'utf8');
  const found: Row[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | id | attack | check | module | tests |
    if (cells.length !== 7 || !/^T\d+\.\d+$/.test(cells[1]!)) continue;
    found.push({ id: cells[1]!, module: cells[4]!, tests: cells[5]! });
  }
  return found;
}

function pathsIn(cell: string): string[] {
  return [...cell.matchAll(/`((?:src|test)\/[^`]+)`/g)].map((m) => m[1]!);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|mjs)$/.test(e.name))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

describe('docs/threats.md', () => {
  const list = rows();

  it('lists threats with unique ids, numbered in order within each group', () => {
    expect(list.length).toBeGreaterThan(50);
    const ids = list.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const next = new Map<string, number>();
    for (const id of ids) {
      const [group, n] = id.slice(1).split('.');
      expect(Number(n), id).toBe((next.get(group!) ?? 0) + 1);
      next.set(group!, Number(n));
    }
  });

  it('names, for each threat, a module and tests that exist, or says "open"', () => {
    for (const row of list) {
      for (const [cell, what] of [[row.module, 'module'], [row.tests, 'tests']] as const) {
        const paths = pathsIn(cell);
        if (cell === 'open') continue;
        expect(paths.length, `${row.id} ${what}: ${cell}`).toBeGreaterThan(0);
        for (const path of paths) expect(existsSync(join(root, path)), `${row.id} names ${path}, which does not exist`).toBe(true);
      }
      if (row.module === 'open') expect(row.tests, `${row.id} has tests but no module`).toBe('open');
    }
  });

  it('defines every id that src/ and test/ cite', () => {
    const defined = new Set(list.map((r) => r.id));
    const missing: string[] = [];
    for (const file of [...sourceFiles('src'), ...sourceFiles('test')]) {
      for (const [id] of readFileSync(join(root, file), 'utf8').matchAll(ID)) {
        if (!defined.has(id)) missing.push(`${file} cites ${id}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
