#!/usr/bin/env node
/**
 * The folder-level import graph of src/: which folder imports which, counted per import
 * (type-only imports included: they tie folders together just the same), and any cycles.
 * Files at the top of src/ (errors.ts, limits.ts, index.ts) are folders of their own.
 *
 *   node scripts/import-graph.mjs          edges, one "from -> to (n)" a line, then cycles
 *   node scripts/import-graph.mjs --json   { edges: [{ from, to, imports: [{ file, target }] }], cycles,
 *                                            packages: [{ folder, file, name }] }
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const IMPORT = /(?:^|[;\s])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[;\s])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The folder a path under src/ belongs to: its first segment, or the file's name at the top. */
export function folderOf(pathUnderSrc) {
  const parts = pathUnderSrc.split('/');
  return parts.length === 1 ? parts[0].replace(/\.ts$/, '') : parts[0];
}

/** Every import of src/: between its files (with the folders at both ends), and of packages. */
export function importsOf(srcDir) {
  const files = readdirSync(srcDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(srcDir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
  const found = [];
  const packages = [];
  for (const file of files) {
    // Comments that start a line are dropped (an import named in prose is not one); a "/*"
    // inside a string, such as a glob, is left alone.
    const text = readFileSync(join(srcDir, file), 'utf8').replace(/^\s*\/\*[\s\S]*?\*\//gm, '').replace(/^\s*\/\/.*$/gm, '');
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2] ?? match[3];
      if (!spec.startsWith('.')) {
        if (!spec.startsWith('node:')) packages.push({ folder: folderOf(file), file, name: spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0] });
        continue;
      }
      const target = relative(srcDir, resolve(srcDir, dirname(file), spec)).split(sep).join('/').replace(/\.js$/, '.ts');
      if (target.startsWith('..')) continue;
      found.push({ file, target, from: folderOf(file), to: folderOf(target) });
    }
  }
  return { files: found, packages };
}

/** Folder edges (from != to), sorted, each with the imports that make it. */
export function folderEdges(imports) {
  const edges = new Map();
  for (const i of imports) {
    if (i.from === i.to) continue;
    const key = `${i.from} -> ${i.to}`;
    if (!edges.has(key)) edges.set(key, { from: i.from, to: i.to, imports: [] });
    edges.get(key).imports.push({ file: i.file, target: i.target });
  }
  return [...edges.values()].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

/** The strongly connected folder groups of more than one folder (Tarjan). */
export function cyclesOf(edges) {
  const next = new Map();
  for (const { from, to } of edges) {
    if (!next.has(from)) next.set(from, []);
    if (!next.has(to)) next.set(to, []);
    next.get(from).push(to);
  }
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const groups = [];
  const visit = (v) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const group = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return groups.sort((a, b) => a[0].localeCompare(b[0]));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const { files, packages } = importsOf(srcDir);
  const edges = folderEdges(files);
  const cycles = cyclesOf(edges);
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ edges, cycles, packages }, null, 2)}\n`);
  } else {
    for (const e of edges) process.stdout.write(`${e.from} -> ${e.to} (${e.imports.length})\n`);
    process.stdout.write(`${edges.length} edges; cycles: ${cycles.length === 0 ? 'none' : cycles.map((c) => c.join(' <-> ')).join('; ')}\n`);
  }
}
