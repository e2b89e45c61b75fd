/**
 * The files the CLI loads take Node's built-in modules as CommonJS, never by an ES import: an
 * ES import of a built-in makes Node build a facade that reads every export once, and reading
 * some loads more of Node (node:http's fetch exports load undici, HTTP/2 and TLS, some 200
 * million instructions). The build rewrites such imports, whether a dependency names the
 * module `node:http` or plain `http`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const DIST = join(import.meta.dirname, '../../dist');
const BUILTINS = new Set(builtinModules);

/** The built-in modules a file imports statically as ES modules. */
function esImportsOfBuiltins(text: string): string[] {
  return [...text.matchAll(/^import\s[^;]*?\sfrom\s*"([^"]+)";?$/gm)].map((m) => m[1]!).filter((name) => name.startsWith('node:') || BUILTINS.has(name));
}

it('finds an ES import of a built-in, named either way', () => {
  expect(esImportsOfBuiltins('import * as http from "http";\nimport { once } from "events";\nimport { a } from "node:fs";\nimport x from "fflate";\n')).toEqual(['http', 'events', 'node:fs']);
});

it('no command file, nor the CLI or the library entry, imports a built-in as an ES module', () => {
  const files = [...readdirSync(join(DIST, 'commands')).map((name) => join('commands', name)), 'cli.js', 'index.js'].filter((name) => name.endsWith('.js'));
  expect(files.length).toBeGreaterThan(20);
  for (const file of files) expect(esImportsOfBuiltins(readFileSync(join(DIST, file), 'utf8')), file).toEqual([]);
});
