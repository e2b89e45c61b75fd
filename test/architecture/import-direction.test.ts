/**
 * Dependencies point one way. Each folder of src/ sits on a layer and may import only
 * folders on lower layers: the CLI on top, the library's commands below it, verification
 * below them, the bundle's formats near the bottom. The graph comes from
 * scripts/import-graph.mjs (type-only imports count: they tie folders together just the same).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');

/** Lowest first. A folder may import any folder on a lower layer, never one on its own or a higher one. */
const LAYERS: readonly (readonly string[])[] = [
  ['errors', 'limits'],
  ['read-error'],
  ['format', 'db', 'ca'],
  // Side by side, so neither imports the other: the rule catalogue both need is in format/.
  ['lint', 'trust'],
  ['layouts', 'peer-history', 'fingerprint'],
  ['signing', 'verify', 'audit'],
  ['inspect'],
  ['apply', 'diff', 'exec', 'pack', 'backup'],
  ['adopt', 'report', 'fleet', 'rehearse'],
  // The library's entry point and the CLI: neither imports the other.
  ['cli', 'index'],
];

/**
 * Edges still waiting to be turned around, each with why. Allowed, not required: when one
 * disappears, remove it here so it cannot come back.
 */
const TOLERATED: ReadonlyArray<{ from: string; to: string; why: string }> = [
];

/** Packages that open or drive a database: only db/ talks to databases. */
const DATABASE_PACKAGES = ['better-sqlite3', 'pg', 'pg-connection-string', 'pg-native'];

interface Graph {
  edges: Array<{ from: string; to: string; imports: Array<{ file: string; target: string }> }>;
  cycles: string[][];
  packages: Array<{ folder: string; file: string; name: string }>;
}

function graph(): Graph {
  const run = spawnSync(process.execPath, [join(root, 'scripts', 'import-graph.mjs'), '--json'], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Graph;
}

const layerOf = new Map(LAYERS.flatMap((folders, layer) => folders.map((f) => [f, layer] as const)));
const tolerated = (from: string, to: string) => TOLERATED.some((t) => t.from === from && t.to === to);

describe('import direction', () => {
  const g = graph();

  it('places every folder of src/ on a layer', () => {
    const folders = readdirSync(join(root, 'src'), { withFileTypes: true }).map((e) => (e.isDirectory() ? e.name : e.name.replace(/\.ts$/, '')));
    expect(folders.filter((f) => !layerOf.has(f))).toEqual([]);
    expect([...layerOf.keys()].filter((f) => !folders.includes(f))).toEqual([]);
  });

  it('has every import point to a lower layer', () => {
    expect(g.edges.length).toBeGreaterThan(20);
    const wrong = g.edges
      .filter((e) => !(layerOf.get(e.from)! > layerOf.get(e.to)!) && !tolerated(e.from, e.to))
      .map((e) => `${e.from} -> ${e.to}: ${e.imports.map((i) => `${i.file} imports ${i.target}`).join('; ')}`);
    expect(wrong).toEqual([]);
  });

  it('has no cycle between folders, beyond the tolerated edges', () => {
    const strict = g.edges.filter((e) => !tolerated(e.from, e.to));
    const back = new Set(TOLERATED.map((t) => `${t.to} <-> ${t.from}`).concat(TOLERATED.map((t) => `${t.from} <-> ${t.to}`)));
    // A cycle that a tolerated edge closes is reported by the script; any other is not allowed.
    expect(g.cycles.map((c) => c.join(' <-> ')).filter((c) => !back.has(c))).toEqual([]);
    expect(strict.every((e) => layerOf.get(e.from)! > layerOf.get(e.to)!)).toBe(true);
  });

  it('leaves database packages to db/', () => {
    const wrong = g.packages
      .filter((p) => DATABASE_PACKAGES.includes(p.name) && p.folder !== 'db')
      .map((p) => `${p.file} imports ${p.name}`);
    expect(wrong).toEqual([]);
  });
});
